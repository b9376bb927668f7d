import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { createTopicsReady } from '@auditflow/kafka';
import { createAuditProducer } from '@auditflow/producer';
import { type AuditEventInput, auditEventType, toAuditEvent } from '@auditflow/schemas';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { benchEvent } from '../support/events.ts';
import { percentile, printTable, sortedCopy } from './stats.ts';

export interface EmitBenchResult {
  emit_p50_us: number;
  emit_p99_us: number;
  emit_p999_us: number;
  emit_calls_per_s: number;
  emit_delivered_events_per_s: number;
  emit_spooling_p99_us: number;
  emit_spooling_p999_us: number;
  emit_spooling_calls_per_s: number;
  kafkajs_raw_events_per_s: number;
  emit_delivery_ratio: number;
  event_bytes: number;
}

const silent = pino({ level: 'silent' });

/** Emits `count` events in slices that yield to the event loop, timing every emit() call. */
async function timedEmits(emit: (e: AuditEventInput) => unknown, events: AuditEventInput[], count: number) {
  const latencies = new Float64Array(count);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t = process.hrtime.bigint();
    emit(events[i % events.length] as AuditEventInput);
    latencies[i] = Number(process.hrtime.bigint() - t) / 1000;
    if (i % 500 === 499) await yieldToLoop(); // services emit between I/O, not in a closed loop
  }
  return { latencies: sortedCopy(latencies), seconds: (performance.now() - started) / 1000 };
}

export async function benchEmit(options: {
  brokers: string;
  registryUrl: string;
  quick: boolean;
}): Promise<EmitBenchResult> {
  const count = options.quick ? 30_000 : 150_000;
  const events = Array.from({ length: 1000 }, (_, i) => benchEvent(i));
  const eventBytes = auditEventType.toBuffer(
    toAuditEvent(events[0], {
      id: '01a20ce8-9421-762f-8562-11570ac0a0bb',
      occurredAt: Date.now(),
      producerId: 'bench',
      sequence: 1,
    }),
  ).length;
  const topic = `bench.emit.${Date.now()}`;
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: options.brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsReady(admin, [{ topic, numPartitions: 6 }]);

  // Baseline: bare kafkajs, idempotent, acks=all, same bytes, same batch size, same compression.
  const raw = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await raw.connect();
  const payloads = events.map((e, i) =>
    auditEventType.toBuffer(
      toAuditEvent(e, {
        id: `01a20ce8-9421-762f-8562-${String(i).padStart(12, '0')}`,
        occurredAt: Date.now(),
        producerId: 'raw',
        sequence: i + 1,
      }),
    ),
  );
  const rawStarted = performance.now();
  for (let sent = 0; sent < count; sent += 1000) {
    await raw.send({
      topic,
      acks: -1,
      compression: CompressionTypes.ZSTD, // as the SDK's default (codec from @auditflow/kafka)
      messages: payloads.map((value, i) => ({ key: `bench-${i % 64}`, value })),
    });
  }
  const rawPerS = count / ((performance.now() - rawStarted) / 1000);
  await raw.disconnect();

  // The SDK with Kafka up.
  const spoolUp = mkdtempSync(join(tmpdir(), 'bench-spool-'));
  const producer = createAuditProducer(
    {
      brokers: options.brokers.split(','),
      schemaRegistryUrl: options.registryUrl,
      topic,
      spool: { dir: spoolUp },
    },
    { logger: silent },
  );
  producer.emit(events[0] as AuditEventInput); // connect and register outside the measurement
  await producer.flush();
  const deliveredStarted = performance.now();
  const up = await timedEmits((e) => producer.emit(e), events, count);
  await producer.flush(120_000);
  const deliveredPerS = count / ((performance.now() - deliveredStarted) / 1000);
  await producer.close();

  // The SDK with Kafka unreachable: every event goes to the spool.
  const spoolDown = mkdtempSync(join(tmpdir(), 'bench-spool-'));
  const offline = createAuditProducer(
    {
      brokers: ['127.0.0.1:1'],
      schemaRegistryUrl: options.registryUrl,
      topic,
      spool: { dir: spoolDown, maxBytes: 2 ** 30 },
    },
    { logger: silent },
  );
  const down = await timedEmits((e) => offline.emit(e), events, count);
  await offline.close(100);

  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
  rmSync(spoolUp, { recursive: true, force: true });
  rmSync(spoolDown, { recursive: true, force: true });

  const result: EmitBenchResult = {
    emit_p50_us: percentile(up.latencies, 50),
    emit_p99_us: percentile(up.latencies, 99),
    emit_p999_us: percentile(up.latencies, 99.9),
    emit_calls_per_s: count / up.seconds,
    emit_delivered_events_per_s: deliveredPerS,
    emit_spooling_p99_us: percentile(down.latencies, 99),
    emit_spooling_p999_us: percentile(down.latencies, 99.9),
    emit_spooling_calls_per_s: count / down.seconds,
    kafkajs_raw_events_per_s: rawPerS,
    emit_delivery_ratio: deliveredPerS / rawPerS,
    event_bytes: eventBytes,
  };
  const us = (v: number) => `${v.toFixed(1)} µs`;
  const rate = (v: number) => `${Math.round(v).toLocaleString('en')} /s`;
  printTable(`emit() — ${count.toLocaleString('en')} events of ${eventBytes} bytes (Avro)`, [
    [
      'Kafka up: emit p50 / p99 / p99.9',
      `${us(result.emit_p50_us)} / ${us(result.emit_p99_us)} / ${us(result.emit_p999_us)}`,
    ],
    ['Kafka up: emit() calls', rate(result.emit_calls_per_s)],
    ['Kafka up: delivered (acks=all)', rate(result.emit_delivered_events_per_s)],
    ['baseline: bare kafkajs producer', rate(result.kafkajs_raw_events_per_s)],
    ['ratio delivered / baseline', result.emit_delivery_ratio.toFixed(2)],
    [
      'Kafka down: emit p99 / p99.9 (spooling)',
      `${us(result.emit_spooling_p99_us)} / ${us(result.emit_spooling_p999_us)}`,
    ],
    ['Kafka down: emit() calls', rate(result.emit_spooling_calls_per_s)],
  ]);
  return result;
}
