import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  ArchiveStore,
  archiverSettings,
  policyHoldsOf,
  s3Client,
  s3Settings,
  signingKey,
} from '@auditflow/archive';
import { createAuditProducer } from '@auditflow/producer';
import {
  archiverServiceSettings,
  loadRetentionPolicy,
  occurredAtWindowFromEnv,
  systemTenantFromEnv,
  TOPICS,
} from '@auditflow/schemas';
import { readSettings, runService, stageEnv } from '@auditflow/service';
import { GetObjectLockConfigurationCommand } from '@aws-sdk/client-s3';
import { Archiver } from './archiver.ts';

/** `auto`: lock objects when the bucket has Object Lock, as governance (compliance is a choice). */
async function lockMode(
  store: ArchiveStore,
  bucket: string,
  mode: 'GOVERNANCE' | 'COMPLIANCE' | 'none' | 'auto',
) {
  if (mode === 'none') return undefined;
  if (mode !== 'auto') return mode;
  try {
    const lock = await store.s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    return lock.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled'
      ? ('GOVERNANCE' as const)
      : undefined;
  } catch {
    return undefined;
  }
}

await runService({
  name: 'auditflow-archiver',
  settings: () => {
    // Every variable against the archiver's declared rules (the ones doctor checks), then read.
    readSettings(archiverServiceSettings);
    const archiver = archiverSettings();
    return {
      base: stageEnv(),
      archiver,
      s3: s3Settings(),
      key: signingKey(),
      policy: loadRetentionPolicy(archiver.AUDITFLOW_RETENTION_FILE),
      systemTenant: systemTenantFromEnv(),
      // Head announcements wait here until Kafka takes them.
      spoolDir:
        process.env.AUDITFLOW_SPOOL_DIR ?? join(homedir(), '.cache', 'auditflow', 'spool', 'archiver'),
    };
  },
  healthPort: ({ archiver }) => archiver.AUDITFLOW_HEALTH_PORT,
  // Open rolls get their drain timeout; the watchdog leaves them that and a margin to leave the group.
  drainTimeoutMs: ({ archiver }) => archiver.AUDITFLOW_ARCHIVE_DRAIN_SECONDS * 1000 + 15_000,
  create: async ({
    settings: { base, archiver: settings, s3, key, policy, systemTenant, spoolDir },
    logger,
    registry,
    progress,
    onFatal,
  }) => {
    const store = new ArchiveStore(
      s3Client(s3),
      s3.bucket,
      settings.AUDITFLOW_ARCHIVE_MULTIPART_MB * 1_048_576,
      settings.AUDITFLOW_ARCHIVE_PREFIX,
    );
    const headEvents = createAuditProducer(
      {
        brokers: base.KAFKA_BROKERS.split(','),
        schemaRegistryUrl: base.SCHEMA_REGISTRY_URL,
        clientId: 'auditflow-archiver',
        spool: { dir: spoolDir },
      },
      { logger: logger.child({ component: 'head-events' }), metricsRegistry: registry },
    );
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
        lockMode: await lockMode(store, s3.bucket, settings.AUDITFLOW_ARCHIVE_LOCK_MODE),
        defaultRetention: {
          retentionClass: policy.default,
          days: policy.classes[policy.default]?.days ?? settings.AUDITFLOW_ARCHIVE_DEFAULT_RETENTION_DAYS,
        },
        holdsRefreshMs: 60_000,
        drainTimeoutMs: settings.AUDITFLOW_ARCHIVE_DRAIN_SECONDS * 1000,
        // The contract's occurred_at window: outside it, events are filed under their receipt hour.
        timeWindow: occurredAtWindowFromEnv(),
        policyHolds: policyHoldsOf(policy.legalHolds),
        maxMessageBytes: base.AUDITFLOW_MAX_EVENT_BYTES,
        heads: { tenant: systemTenant, bucket: s3.bucket, instance: base.AUDITFLOW_INSTANCE_ID },
      },
      store,
      key,
      { logger, registry, onFatal, progress, headEvents },
    );
    return {
      get ready() {
        return archiver.ready;
      },
      start: () => archiver.start(),
      async stop() {
        await archiver.stop();
        await headEvents.close();
      },
    };
  },
});
