import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAuditProducer } from '@auditflow/producer';
import type { AuditEventInput } from '@auditflow/schemas';
import { pino } from 'pino';
import { endpoints } from './endpoints.ts';

/**
 * Emits events through the SDK (its own spool) and returns their ids in emit order once Kafka
 * has them all. `pace` sleeps `stepMs` after every `perStep` events, to spread them over time.
 */
export async function emitEvents(
  topic: string,
  events: readonly AuditEventInput[],
  pace?: { perStep: number; stepMs: number },
): Promise<string[]> {
  const producer = createAuditProducer(
    {
      brokers: endpoints().KAFKA_BROKERS.split(','),
      schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL,
      topic,
      spool: { dir: mkdtempSync(join(tmpdir(), 'test-spool-')) },
      // Fixtures plant history (the retention sweeper's 400-day-old events), as a producer
      // configured to import it would: a decade back instead of the default 30 days.
      occurredAtWindow: { aheadMs: 86_400_000, behindMs: 3650 * 86_400_000 },
    },
    { logger: pino({ level: 'silent' }) },
  );
  const ids: string[] = [];
  for (const [i, e] of events.entries()) {
    ids.push(producer.emit(e).id);
    if (pace && (i + 1) % pace.perStep === 0) await sleep(pace.stepMs);
  }
  await producer.close(60_000);
  return ids;
}
