import {
  ArchiveStore,
  archiverSettings,
  policyHoldsOf,
  s3Client,
  s3Settings,
  signingKey,
} from '@auditflow/archive';
import { loadRetentionPolicy, occurredAtWindowFromEnv, TOPICS } from '@auditflow/schemas';
import { serveHealth, stageEnv } from '@auditflow/service';
import { GetObjectLockConfigurationCommand } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Archiver } from './archiver.ts';

const logger = pino({ name: 'auditflow-archiver' });
const base = stageEnv();
const settings = archiverSettings();
const s3 = s3Settings();
const key = signingKey();
const policy = loadRetentionPolicy(settings.AUDITFLOW_RETENTION_FILE);
const store = new ArchiveStore(
  s3Client(s3),
  s3.bucket,
  settings.AUDITFLOW_ARCHIVE_MULTIPART_MB * 1_048_576,
  settings.AUDITFLOW_ARCHIVE_PREFIX,
);

/** `auto`: lock objects when the bucket has Object Lock, as governance (compliance is a choice). */
async function lockMode() {
  if (settings.AUDITFLOW_ARCHIVE_LOCK_MODE === 'none') return undefined;
  if (settings.AUDITFLOW_ARCHIVE_LOCK_MODE !== 'auto') return settings.AUDITFLOW_ARCHIVE_LOCK_MODE;
  try {
    const lock = await store.s3.send(new GetObjectLockConfigurationCommand({ Bucket: s3.bucket }));
    return lock.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled'
      ? ('GOVERNANCE' as const)
      : undefined;
  } catch {
    return undefined;
  }
}

const registry = new Registry();
const archiver = new Archiver(
  {
    brokers: base.KAFKA_BROKERS.split(','),
    registryUrl: base.SCHEMA_REGISTRY_URL,
    groupId: 'auditflow-archiver',
    topic: TOPICS.clean,
    dlqTopic: TOPICS.dlq,
    roll: {
      maxAgeMs: settings.AUDITFLOW_ARCHIVE_ROLL_SECONDS * 1000,
      maxBytes: settings.AUDITFLOW_ARCHIVE_ROLL_MB * 1_048_576,
    },
    lockMode: await lockMode(),
    defaultRetention: {
      retentionClass: policy.default,
      days: policy.classes[policy.default]?.days ?? settings.AUDITFLOW_ARCHIVE_DEFAULT_RETENTION_DAYS,
    },
    holdsRefreshMs: 60_000,
    drainTimeoutMs: settings.AUDITFLOW_ARCHIVE_DRAIN_SECONDS * 1000,
    // The contract's occurred_at window: outside it, events are filed under their receipt hour.
    timeWindow: occurredAtWindowFromEnv(),
    policyHolds: policyHoldsOf(policy.legalHolds),
  },
  store,
  key,
  { logger, registry, onFatal: () => process.exit(1) },
);
const server = await serveHealth({
  port: settings.AUDITFLOW_HEALTH_PORT,
  registry,
  ready: () => archiver.ready,
});
await archiver.start();

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'draining: writing open rolls');
  await archiver.stop();
  server.server.close();
  logger.info('stopped');
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
