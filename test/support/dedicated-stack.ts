import { loadCredentials } from '@auditflow/stack';
import {
  type DedicatedServer,
  dedicatedElasticsearch,
  dedicatedKafka,
  dedicatedRegistry,
  dedicatedS3,
} from './dedicated-servers.ts';
import type { Endpoints } from './endpoints.ts';

export type ServerName = 'kafka' | 'registry' | 'elasticsearch' | 's3';
export const SERVER_NAMES: readonly ServerName[] = ['kafka', 'registry', 'elasticsearch', 's3'];

/**
 * The four servers of the stack as dedicated instances (own ports from `basePort`, own data in
 * temporary directories), for runs that stop and restart servers: stopping one of these touches
 * nobody else's work. Ports: Kafka base+92 (controller +93), registry base+81 (+82), Elasticsearch
 * base+200 (transport +300), MinIO base+0 (console +1).
 */
export interface DedicatedStack {
  readonly servers: Readonly<Record<ServerName, DedicatedServer>>;
  readonly endpoints: Endpoints;
  /** Starts every server in parallel and waits until each serves. */
  start(): Promise<void>;
  /** Stops every server (graceful), in parallel. */
  stop(): Promise<void>;
}

export function dedicatedStack(basePort: number): DedicatedStack {
  const kafka = dedicatedKafka(basePort + 92);
  const registry = dedicatedRegistry(basePort + 81);
  const elasticsearch = dedicatedElasticsearch(basePort + 200);
  const s3 = dedicatedS3(basePort);
  const servers = { kafka, registry, elasticsearch, s3 };
  // MinIO's root credentials are made in its own run directory on first use.
  const credentials = loadCredentials(s3.paths);
  return {
    servers,
    endpoints: {
      KAFKA_BROKERS: kafka.brokers,
      SCHEMA_REGISTRY_URL: registry.url,
      ELASTICSEARCH_URL: elasticsearch.url,
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: 'audit-archive',
      AWS_ACCESS_KEY_ID: credentials.s3AccessKey,
      AWS_SECRET_ACCESS_KEY: credentials.s3SecretKey,
      AWS_REGION: 'us-east-1',
    },
    start: async () => void (await Promise.all(Object.values(servers).map((s) => s.start()))),
    stop: async () => void (await Promise.allSettled(Object.values(servers).map((s) => s.stop()))),
  };
}
