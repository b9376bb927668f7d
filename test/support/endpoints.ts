import { S3Client } from '@aws-sdk/client-s3';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';

/** The endpoints every integration test talks to, in the SPEC's `stack env` names. */
export interface Endpoints {
  readonly KAFKA_BROKERS: string;
  readonly SCHEMA_REGISTRY_URL: string;
  readonly ELASTICSEARCH_URL: string;
  readonly S3_ENDPOINT: string;
  readonly S3_BUCKET: string;
  readonly AWS_ACCESS_KEY_ID: string;
  readonly AWS_SECRET_ACCESS_KEY: string;
  readonly AWS_REGION: string;
}

export const ENDPOINT_KEYS = [
  'KAFKA_BROKERS',
  'SCHEMA_REGISTRY_URL',
  'ELASTICSEARCH_URL',
  'S3_ENDPOINT',
  'S3_BUCKET',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
] as const satisfies readonly (keyof Endpoints)[];

/** Endpoints from the environment, or undefined when any is missing. */
export function endpointsFromEnv(env: NodeJS.ProcessEnv = process.env): Endpoints | undefined {
  const values: NodeJS.ProcessEnv = { S3_BUCKET: 'audit-archive', AWS_REGION: 'us-east-1', ...env };
  return ENDPOINT_KEYS.every((key) => values[key]) ? (values as unknown as Endpoints) : undefined;
}

export function endpoints(): Endpoints {
  const found = endpointsFromEnv();
  if (!found) throw new Error(`integration tests need ${ENDPOINT_KEYS.join(', ')} (set by the global setup)`);
  return found;
}

export function kafkaClient(clientId: string, brokers = endpoints().KAFKA_BROKERS): Kafka {
  return new Kafka({
    clientId,
    brokers: brokers.split(','),
    // Retriable errors (coordinator loading) are logged at ERROR by kafkajs; failures still throw.
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 200 },
  });
}

export function registryClient(): SchemaRegistry {
  return new SchemaRegistry({ host: endpoints().SCHEMA_REGISTRY_URL });
}

export function elasticsearchClient(): ElasticsearchClient {
  return new ElasticsearchClient({ node: endpoints().ELASTICSEARCH_URL });
}

export function s3Client(): S3Client {
  return s3ClientFor(endpoints());
}

/** An S3 client for the given endpoints (path-style, checksums only when required). */
export function s3ClientFor(e: Endpoints): S3Client {
  return new S3Client({
    endpoint: e.S3_ENDPOINT,
    region: e.AWS_REGION,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY },
  });
}

/** A name no other test run uses, for topics, subjects, indices and keys. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
