import {
  ArchiveStore,
  archiverSettings,
  DEFAULT_GROUPS,
  s3Client,
  s3Settings,
  verifyingKey,
} from '@auditflow/archive';
import { kafkaSecurityFromEnv, WireCodec } from '@auditflow/kafka';
import { loadCatalog, loadRetentionPolicy, occurredAtWindowFromEnv, TOPICS } from '@auditflow/schemas';
import { Client } from '@elastic/elasticsearch';
import { Kafka, logLevel } from 'kafkajs';
import type { EvidenceSources } from './collect.ts';

export const DEFAULT_INDEX = 'audit-events*';

export interface SourceOverrides {
  readonly index?: string;
  readonly topics?: Partial<EvidenceSources['topics']>;
  readonly groups?: EvidenceSources['groups'];
  readonly lagAllowanceMs?: number;
}

/** `read()`, its failure named after the setting it reads (a file's error says only the path). */
function named<T>(setting: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if ((err as Error).message.includes(setting)) throw err;
    throw new Error(`${setting}: ${(err as Error).message}`);
  }
}

/**
 * The report's sources from the settings every archive command reads (S3_*, the archive key,
 * KAFKA_BROKERS, SCHEMA_REGISTRY_URL, ELASTICSEARCH_URL, AUDITFLOW_RETENTION_FILE), checked here
 * once: a missing or malformed one fails naming the setting. The store is read with the CLI's
 * S3 identity (it may also write reports under _control/reports/).
 */
export function evidenceSourcesFromEnv(
  env: NodeJS.ProcessEnv,
  overrides: SourceOverrides = {},
): EvidenceSources & { close(): Promise<void> } {
  if (!env.ELASTICSEARCH_URL) throw new Error('ELASTICSEARCH_URL: set it to the Elasticsearch URL');
  if (!env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS: set it (reconcile reads the topics)');
  if (!env.SCHEMA_REGISTRY_URL) throw new Error('SCHEMA_REGISTRY_URL: set it (reconcile decodes the topics)');
  const s3 = s3Settings(env, 'cli');
  const archive = archiverSettings(env);
  const es = new Client({ node: env.ELASTICSEARCH_URL });
  const kafka = new Kafka({
    clientId: 'auditflow-evidence',
    brokers: env.KAFKA_BROKERS.split(','),
    ...kafkaSecurityFromEnv(env),
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  });
  return {
    es,
    index: overrides.index ?? DEFAULT_INDEX,
    store: new ArchiveStore(
      s3Client(s3),
      s3.bucket,
      archive.AUDITFLOW_ARCHIVE_MULTIPART_MB * 1_048_576,
      archive.AUDITFLOW_ARCHIVE_PREFIX,
    ),
    publicKey: named(
      env.AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE
        ? 'AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE'
        : 'AUDITFLOW_ARCHIVE_SIGNING_KEY',
      () => verifyingKey(env),
    ),
    kafka,
    codec: new WireCodec(env.SCHEMA_REGISTRY_URL),
    topics: {
      raw: TOPICS.raw,
      clean: TOPICS.clean,
      dlq: TOPICS.dlq,
      quarantine: TOPICS.quarantine,
      ...overrides.topics,
    },
    groups: { ...DEFAULT_GROUPS, ...overrides.groups },
    rollWindowMs: archive.AUDITFLOW_ARCHIVE_ROLL_SECONDS * 1000,
    ...(overrides.lagAllowanceMs === undefined ? {} : { lagAllowanceMs: overrides.lagAllowanceMs }),
    window: occurredAtWindowFromEnv(env),
    policy: named('AUDITFLOW_RETENTION_FILE', () => loadRetentionPolicy(archive.AUDITFLOW_RETENTION_FILE)),
    catalog: loadCatalog(),
    close: () => es.close(),
  };
}
