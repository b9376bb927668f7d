import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { resendKey, WireCodec } from '@auditflow/kafka';
import type { Processor } from '@auditflow/processor-runtime';
import { type AuditEvent, auditEventType, HEADERS } from '@auditflow/schemas';
import type { Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { consumeCommitted } from '../../support/consume.ts';
import { endpoints, kafkaClient } from '../../support/endpoints.ts';
import { createPipelineTopics, type PipelineTopics } from '../../support/pipeline-topics.ts';
import { startProcessorChild } from '../../support/processor-children.ts';
import { stageProcessor } from '../../support/processors.ts';
import { avroRecord } from '../../support/records.ts';

const WINDOW = 1000;
const children: ChildProcess[] = [];
const running: Processor[] = [];

const startChild = (topics: PipelineTopics, instanceId: string, window = WINDOW) =>
  startProcessorChild(children, 'sanitizer', topics, instanceId, window);

/** Whether the sanitizer group has committed every raw record written so far. */
async function caughtUp(topics: PipelineTopics): Promise<{ committed: number; end: number }> {
  const admin = kafkaClient('dedupe-offsets').admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topics.raw);
    const [group] = await admin.fetchOffsets({ groupId: `${topics.raw}.sanitizer`, topics: [topics.raw] });
    const committed = (group?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    return { committed, end: ends.reduce((n, p) => n + Number(p.high), 0) };
  } finally {
    await admin.disconnect();
  }
}

async function waitCaughtUp(topics: PipelineTopics, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { committed, end } = await caughtUp(topics);
    if (committed === end) return;
    if (Date.now() > deadline) throw new Error(`sanitizer committed ${committed} of ${end} raw records`);
    await sleep(300);
  }
}

/** Writes events as the SDK does: Confluent wire form, keyed by correlation id, SDK headers. */
async function writeRaw(
  producer: Producer,
  codec: WireCodec,
  topic: string,
  events: AuditEvent[],
): Promise<void> {
  const messages = [];
  for (const event of events) {
    messages.push({
      key: event.correlation_id ?? event.id,
      value: await codec.encode(topic, event),
      headers: {
        [HEADERS.eventId]: event.id,
        [HEADERS.producerId]: event.producer.id,
        [HEADERS.sequence]: String(event.producer.sequence),
      },
    });
  }
  await producer.send({ topic, messages, acks: -1 });
}

/** Private pipeline topics, and a writer onto their raw topic as one SDK producer id. */
async function rawSetup(prefix: string) {
  const topics = await createPipelineTopics(prefix, 3);
  const codec = new WireCodec(endpoints().SCHEMA_REGISTRY_URL);
  const producer = kafkaClient('dedupe-writer').producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return { topics, codec, producer, sdk: randomUUID() };
}

const duplicatesCounted = async (registry: Registry): Promise<number> => {
  const metric = await registry.getSingleMetric('auditflow_processor_events_total')?.get();
  return metric?.values.find((v) => v.labels.outcome === 'duplicate')?.value ?? 0;
};

describe('the sanitizer drops producer resends (issue 15)', () => {
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(running.map((p) => p.stop().catch(() => {})));
  });

  it('drops resends within a run and after a SIGKILL and restart, keeps id reuse by others, loses nothing', {
    timeout: 300_000,
  }, async () => {
    const { topics, codec, producer, sdk } = await rawSetup('it.dedupe');
    const event = (i: number): AuditEvent =>
      avroRecord({
        id: randomUUID(),
        tenant_id: 'acme',
        // Spread over the partitions like the SDK's correlation-id keys; a resend keeps its key.
        correlation_id: `dd-${i % 40}`,
        producer: { id: sdk, sequence: i },
      });
    const originals = Array.from({ length: 350 }, (_, i) => event(i));
    const copy = (e: AuditEvent): AuditEvent => structuredClone(e);

    // Run 1: originals with resends right behind them (the same fetch) and a batch later.
    const first = await startChild(topics, 'dedupe-a');
    await writeRaw(producer, codec, topics.raw, [
      ...originals.slice(0, 300),
      ...originals.slice(0, 50).map(copy),
    ]);
    // The same id under another producer and sequence, and under another tenant: not resends.
    const sameIdOtherProducer = {
      ...copy(originals[5] as AuditEvent),
      producer: { id: randomUUID(), sequence: 0 },
    };
    const sameIdOtherTenant = { ...copy(originals[6] as AuditEvent), tenant_id: 'globex' };
    await writeRaw(producer, codec, topics.raw, [sameIdOtherProducer, sameIdOtherTenant]);
    await writeRaw(producer, codec, topics.raw, originals.slice(50, 100).map(copy));
    await waitCaughtUp(topics);

    // Kafka stopped, the sanitizer exits, the SDK replays: the restarted sanitizer has not seen
    // the originals itself; it must rebuild each partition's window from the raw topic.
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    await writeRaw(producer, codec, topics.raw, [
      ...originals.slice(100, 300).map(copy),
      ...originals.slice(300),
      ...originals.slice(300, 310).map(copy),
    ]);
    await producer.disconnect();
    const registry = new Registry();
    const second = stageProcessor('sanitizer', topics, {
      instanceId: 'dedupe-a',
      dedupeWindow: WINDOW,
      registry,
    });
    running.push(second);
    await second.start();
    await waitCaughtUp(topics);
    expect(await duplicatesCounted(registry)).toBe(200 + 10);
    await second.stop();

    const out = await consumeCommitted(topics.sanitized);
    const keys = out.map((m) =>
      resendKey(auditEventType.fromBuffer((m.message.value as Buffer).subarray(5))),
    );
    const expected = [...originals, sameIdOtherProducer, sameIdOtherTenant].map(resendKey);
    expect(new Set(keys).size).toBe(keys.length); // nothing twice
    expect(new Set(keys)).toEqual(new Set(expected)); // nothing lost, the id reusers kept
    expect(await consumeCommitted(topics.quarantine)).toHaveLength(0);
  });

  it('holds every event once when the sanitizer is killed mid-stream and a second one takes partitions over', {
    timeout: 300_000,
  }, async () => {
    const { topics, codec, producer, sdk } = await rawSetup('it.dedupe-move');
    const total = 6000;
    const originals = Array.from({ length: total }, (_, i) =>
      avroRecord({
        id: randomUUID(),
        correlation_id: `mv-${i % 40}`,
        producer: { id: sdk, sequence: i },
      }),
    );
    // Blocks of 500, each followed by resends of every fifth event of the block before.
    let resends = 0;
    for (let start = 0; start < total; start += 500) {
      const again = start === 0 ? [] : originals.slice(start - 500, start).filter((_, i) => i % 5 === 0);
      resends += again.length;
      await writeRaw(producer, codec, topics.raw, [...originals.slice(start, start + 500), ...again]);
    }
    await producer.disconnect();

    const first = await startChild(topics, 'move-a', 3000);
    // At its first commit, so the kill lands mid-stream however fast it goes.
    while ((await caughtUp(topics)).committed < 1) await sleep(50);
    first.kill('SIGKILL'); // a transaction may be open; the windows die with the process
    await startChild(topics, 'move-a', 3000); // fences it; rebuilds every partition's window
    await sleep(1500);
    await startChild(topics, 'move-b', 3000); // a rebalance, maybe in the middle of a rebuild
    await waitCaughtUp(topics, 180_000);

    const out = await consumeCommitted(topics.sanitized);
    const keys = out.map((m) =>
      resendKey(auditEventType.fromBuffer((m.message.value as Buffer).subarray(5))),
    );
    expect(resends).toBe(1100);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(keys)).toEqual(new Set(originals.map(resendKey)));
  });
});
