import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditProducer, FlushTimeoutError, kafkaSecurityFromEnv } from '@auditflow/producer';
import { type AuditEventInput, TOPICS } from '@auditflow/schemas';
import { pino } from 'pino';

/**
 * Audits one CLI action through the SDK like any other producer (the retention sweeper's
 * deletions, subject erasures): `audit.*` actions are the pipeline's own. AUDITFLOW_AUDIT_TOPIC
 * overrides the raw topic (tests use their own). Waits until Kafka has acknowledged the event;
 * when it cannot, the command fails naming the spool that holds the record (a CLI run is not a
 * service: nothing would send it later), so an unaudited deletion or erasure is never silent.
 */
export async function emitCliAudit(
  env: NodeJS.ProcessEnv,
  event: Omit<AuditEventInput, 'service'> & Partial<Pick<AuditEventInput, 'service'>>,
): Promise<void> {
  const spool = mkdtempSync(join(tmpdir(), 'auditflow-cli-audit-'));
  const producer = createAuditProducer(
    {
      brokers: (env.KAFKA_BROKERS ?? '').split(','),
      schemaRegistryUrl: env.SCHEMA_REGISTRY_URL ?? '',
      topic: env.AUDITFLOW_AUDIT_TOPIC ?? TOPICS.raw,
      security: kafkaSecurityFromEnv(env),
      spool: { dir: spool },
    },
    { logger: pino({ level: 'warn' }, process.stderr) },
  );
  producer.emit(
    { ...event, service: event.service ?? { name: 'auditflow-cli', instance: process.env.HOSTNAME ?? null } },
    { pipeline: true },
  );
  try {
    await producer.flush(30_000);
  } catch (err) {
    if (!(err instanceof FlushTimeoutError)) throw err;
    throw new Error(
      `the audit record of this action was not acknowledged by Kafka at ${env.KAFKA_BROKERS}: it is spooled in ${spool} (send it with an SDK producer over that spool once Kafka is back)`,
    );
  } finally {
    await producer.close(1000);
  }
}
