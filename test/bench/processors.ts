import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTopicsReady } from '@auditflow/kafka';
import { Processor } from '@auditflow/processor-runtime';
import { createAuditProducer } from '@auditflow/producer';
import { type AuditEvent, type AuditEventInput, toAuditEvent } from '@auditflow/schemas';
import type { Transform } from '@auditflow/stage';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { benchEvent } from '../support/events.ts';
import { enricherTransform, sanitizerTransform } from '../support/processors.ts';
import { secretEvents } from '../support/secret-corpus.ts';
import { printTable } from './stats.ts';

export interface ProcessorsBenchResult {
  sanitizer_transform_events_per_s: number;
  enricher_transform_events_per_s: number;
  passthrough_events_per_s: number;
  sanitizer_events_per_s: number;
  enricher_events_per_s: number;
  sanitizer_ratio: number;
  enricher_ratio: number;
}

/** ~1 KB realistic events; one in eight carries planted secrets. */
function benchInputs(n: number): AuditEventInput[] {
  const secrets = secretEvents();
  return Array.from({ length: n }, (_, i) =>
    i % 8 === 0 ? (secrets[i % secrets.length] as AuditEventInput) : benchEvent(i),
  );
}

function toRecords(inputs: readonly AuditEventInput[]): AuditEvent[] {
  return inputs.map((input, i) =>
    toAuditEvent(input, {
      id: `0192f7a4-6b1e-7c3d-9a4b-${String(i).padStart(12, '0')}`,
      occurredAt: Date.now(),
      producerId: 'bench',
      sequence: i + 1,
    }),
  );
}

/** Passes over the records after the warm-up pass; the median is reported. */
const MEASURED_PASSES = 3;

/**
 * A transform's steady rate on one core: one whole pass to warm up (a processor runs for hours;
 * 2,000 events left the JIT half done and the result swung from 15,000 to 27,000/s between
 * runs), then the median of three timed passes.
 */
function transformRate(transform: Transform, records: AuditEvent[]): number {
  for (const r of records) transform(r);
  const rates: number[] = [];
  for (let pass = 0; pass < MEASURED_PASSES; pass++) {
    const started = performance.now();
    for (const r of records) transform(r);
    rates.push(records.length / ((performance.now() - started) / 1000));
  }
  return rates.sort((a, b) => a - b)[Math.floor(MEASURED_PASSES / 2)] as number;
}

async function stageRate(
  brokers: string,
  registryUrl: string,
  input: string,
  count: number,
  name: string,
  transform: Transform,
): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const output = `${input}.${name}.out`;
  const extra = [`${output}`, `${input}.${name}.dlq`, `${input}.${name}.q`];
  await createTopicsReady(
    admin,
    extra.map((topic) => ({ topic, numPartitions: 6 })),
  );
  const groupId = `${input}.${name}`;
  const processor = new Processor(
    {
      name,
      brokers: brokers.split(','),
      registryUrl,
      groupId,
      inputTopic: input,
      outputTopic: output,
      dlqTopic: extra[1] as string,
      quarantineTopic: extra[2] as string,
      instanceId: `bench-${name}`,
      onTransformError: 'quarantine',
    },
    transform,
    { logger: pino({ level: 'silent' }), registry: new Registry() },
  );
  const done = async (): Promise<number> => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [input] });
    return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  };
  await processor.start();
  // Timed from the moment the group gave the processor its partitions (it fetches right after)
  // to its last commit. Timing from its first commit instead missed most of the first round:
  // with the partitions taken at once, their first batches all commit at about the same time.
  while (!processor.ready) await sleep(5);
  const started = performance.now();
  while ((await done()) < count) await sleep(50);
  const rate = count / ((performance.now() - started) / 1000);
  await processor.stop();
  await admin.deleteTopics({ topics: extra }).catch(() => {});
  await admin.disconnect();
  return rate;
}

export async function benchProcessors(options: {
  brokers: string;
  registryUrl: string;
  quick: boolean;
}): Promise<ProcessorsBenchResult> {
  const count = options.quick ? 20_000 : 60_000;
  const inputs = benchInputs(count);
  const records = toRecords(inputs);
  const sanitize = sanitizerTransform();
  const enrich = enricherTransform();
  const sanitizerTransformRate = transformRate(sanitize, records);
  const sanitized = records.map((r) => {
    const out = sanitize(r);
    return out.kind === 'forward' ? out.event : r;
  });
  const enricherTransformRate = transformRate(enrich, sanitized);

  // The same input topic for every stage, each in its own consumer group.
  const input = `bench.processors.${Date.now()}`;
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: options.brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsReady(admin, [{ topic: input, numPartitions: 6 }]);
  await admin.disconnect();
  const spool = mkdtempSync(join(tmpdir(), 'bench-proc-'));
  const producer = createAuditProducer(
    {
      brokers: options.brokers.split(','),
      schemaRegistryUrl: options.registryUrl,
      topic: input,
      spool: { dir: spool, maxBytes: 2 ** 30 },
    },
    { logger: pino({ level: 'silent' }) },
  );
  for (const input of inputs) producer.emit(input);
  await producer.close(120_000);
  rmSync(spool, { recursive: true, force: true });

  const passthrough = await stageRate(
    options.brokers,
    options.registryUrl,
    input,
    count,
    'passthrough',
    (event) => ({ kind: 'forward', event }),
  );
  const sanitizer = await stageRate(
    options.brokers,
    options.registryUrl,
    input,
    count,
    'sanitizer',
    sanitize,
  );
  const enricher = await stageRate(options.brokers, options.registryUrl, input, count, 'enricher', enrich);
  const result: ProcessorsBenchResult = {
    sanitizer_transform_events_per_s: sanitizerTransformRate,
    enricher_transform_events_per_s: enricherTransformRate,
    passthrough_events_per_s: passthrough,
    sanitizer_events_per_s: sanitizer,
    enricher_events_per_s: enricher,
    sanitizer_ratio: sanitizer / passthrough,
    enricher_ratio: enricher / passthrough,
  };
  const rate = (v: number) => `${Math.round(v).toLocaleString('en')} /s`;
  printTable(`processors — ${count.toLocaleString('en')} events of ~1 KB, 6 partitions, one instance each`, [
    ['sanitizer transform alone (one core)', rate(sanitizerTransformRate)],
    ['enricher transform alone (one core)', rate(enricherTransformRate)],
    ['baseline: pass-through processor', rate(passthrough)],
    ['sanitizer processor', `${rate(sanitizer)}  (ratio ${result.sanitizer_ratio.toFixed(2)})`],
    ['enricher processor', `${rate(enricher)}  (ratio ${result.enricher_ratio.toFixed(2)})`],
  ]);
  return result;
}
