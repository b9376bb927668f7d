import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTopicsReady } from '@auditflow/kafka';
import { createAuditProducer } from '@auditflow/producer';
import { type AuditEvent, auditEventType } from '@auditflow/schemas';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { consumeAll } from '../../support/consume.ts';
import { dedicatedKafka } from '../../support/dedicated-servers.ts';
import { endpoints, kafkaClient, unique } from '../../support/endpoints.ts';
import { sampleEvent } from '../../support/events.ts';

const decode = (value: Buffer | null): AuditEvent =>
  auditEventType.fromBuffer((value as Buffer).subarray(5)) as AuditEvent;

async function createTopic(brokers: string, topic: string): Promise<void> {
  const admin = kafkaClient('durability-admin', brokers).admin();
  await admin.connect();
  await createTopicsReady(admin, [{ topic, numPartitions: 3 }]);
  await admin.disconnect();
}

function expectEachOnceInOrder(events: AuditEvent[], total: number): void {
  const sequences = events.map((e) => e.producer.sequence);
  expect(new Set(sequences).size).toBe(sequences.length);
  expect([...sequences].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  const byKey = new Map<string, number[]>();
  for (const e of events)
    byKey.set(e.correlation_id ?? '', [...(byKey.get(e.correlation_id ?? '') ?? []), e.producer.sequence]);
  for (const list of byKey.values()) expect(list).toEqual([...list].sort((a, b) => a - b));
}

describe('zero loss (P2)', () => {
  const broker = dedicatedKafka(19092);
  afterAll(() => broker.stop());

  it('spools while the broker is down and delivers everything once, in order, when it returns', async () => {
    await broker.start();
    const topic = unique('it.outage');
    await createTopic(broker.brokers, topic);
    const producer = createAuditProducer(
      {
        brokers: [broker.brokers],
        schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL,
        topic,
        spool: { dir: mkdtempSync(join(tmpdir(), 'outage-spool-')) },
        retry: { initialMs: 100, maxMs: 1000 },
      },
      { logger: pino({ level: 'silent' }) },
    );
    const emitBatch = (from: number, to: number) => {
      for (let i = from; i < to; i++) producer.emit(sampleEvent(i, { correlation_id: `outage-${i % 4}` }));
    };
    emitBatch(0, 200);
    await producer.flush();

    await broker.kill();
    const emitStarted = performance.now();
    emitBatch(200, 500); // emit never throws or blocks while Kafka is gone
    const emitMs = performance.now() - emitStarted;
    await sleep(2000);
    expect(producer.depth).toBe(300);
    expect(producer.connected).toBe(false);
    const errors = await producer.metrics.sinkErrors.get();
    expect(errors.values[0]?.value ?? 0).toBeGreaterThan(0);
    expect(emitMs).toBeLessThan(5000); // a sanity bound, not a benchmark

    await broker.start();
    emitBatch(500, 600);
    await producer.flush(90_000);
    expect(producer.depth).toBe(0);
    await producer.close();

    const events = (await consumeAll(topic, { brokers: broker.brokers })).map((m) => decode(m.message.value));
    expect(events).toHaveLength(600);
    expectEachOnceInOrder(events, 600);
  });

  it('loses nothing when the producer process is killed with SIGKILL mid-stream and restarted', async () => {
    const topic = unique('it.sigkill');
    await createTopic(endpoints().KAFKA_BROKERS, topic);
    const spool = mkdtempSync(join(tmpdir(), 'sigkill-spool-'));
    const args = (extra: string[]) => [
      '--import',
      'tsx',
      '--conditions=auditflow-source',
      'test/support/emit-child.ts',
      spool,
      endpoints().KAFKA_BROKERS,
      endpoints().SCHEMA_REGISTRY_URL,
      topic,
      ...extra,
    ];
    const received: number[] = [];
    const child: ChildProcess = spawn('node', args(['100000']), { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (/^\d+$/.test(line)) received.push(Number(line));
    });
    while (received.length < 3000) await sleep(50);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const acknowledgedToCaller = received.length;

    const drain = spawn('node', args(['0', '--drain']), { stdio: ['ignore', 'pipe', 'inherit'] });
    let drainOut = '';
    drain.stdout?.on('data', (chunk: Buffer) => {
      drainOut += chunk.toString();
    });
    const code = await new Promise((resolve) => drain.once('exit', resolve));
    expect(code).toBe(0);
    expect(drainOut).toContain('drained');

    const events = (await consumeAll(topic)).map((m) => decode(m.message.value));
    const delivered = new Set(events.map((e) => e.producer.sequence));
    // Every event emit() returned for is in Kafka; re-sends after the crash share the same
    // (producer id, sequence), so a consumer can drop them.
    const missing = received.filter((seq) => !delivered.has(seq));
    expect(missing).toEqual([]);
    expect(new Set(events.map((e) => e.producer.id)).size).toBe(1);
    expect(Math.max(...delivered)).toBeGreaterThanOrEqual(acknowledgedToCaller);
    expect([...delivered].sort((a, b) => a - b)).toEqual(
      Array.from({ length: delivered.size }, (_, i) => i + 1),
    );
  });
});
