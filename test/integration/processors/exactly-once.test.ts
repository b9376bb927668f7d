import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAuditProducer } from '@auditflow/producer';
import { type AuditEvent, auditEventType } from '@auditflow/schemas';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { consumeCount } from '../../support/consume.ts';
import { endpoints, kafkaClient } from '../../support/endpoints.ts';
import { sampleEvent } from '../../support/events.ts';
import { createPipelineTopics, type PipelineTopics } from '../../support/pipeline-topics.ts';
import { startProcessorChild } from '../../support/processor-children.ts';

const children: ChildProcess[] = [];

const startChild = (topics: PipelineTopics, instanceId: string): Promise<ChildProcess> =>
  startProcessorChild(children, 'sanitizer', topics, instanceId);

/** An SDK producer onto the raw topic with a spool of its own. */
function rawProducer(topics: PipelineTopics, name: string) {
  return createAuditProducer(
    {
      brokers: endpoints().KAFKA_BROKERS.split(','),
      schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL,
      topic: topics.raw,
      spool: { dir: mkdtempSync(join(tmpdir(), `${name}-spool-`)) },
    },
    { logger: pino({ level: 'silent' }) },
  );
}

/** Waits until the group committed every input, then checks each is in the output exactly once. */
async function expectEachOnce(topics: PipelineTopics, total: number): Promise<void> {
  const deadline = Date.now() + 180_000;
  while ((await committed(topics)) < total && Date.now() < deadline) await sleep(500);
  expect(await committed(topics)).toBe(total);
  const out = await consumeCount(topics.sanitized, total, { settleMs: 5000 });
  const sequences = out.map(
    (m) =>
      (auditEventType.fromBuffer((m.message.value as Buffer).subarray(5)) as AuditEvent).producer.sequence,
  );
  expect(new Set(sequences).size).toBe(total);
  expect(out).toHaveLength(total);
}

/** Sum of the offsets the group committed on the input topic (= input events done). */
async function committed(topics: PipelineTopics): Promise<number> {
  const admin = kafkaClient('eos-offsets').admin();
  await admin.connect();
  const [topic] = await admin.fetchOffsets({ groupId: `${topics.raw}.sanitizer`, topics: [topics.raw] });
  await admin.disconnect();
  return (topic?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

describe('exactly once through the sanitizer (X1)', () => {
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  it('holds every input exactly once after a SIGKILL mid-stream and a second instance joining', {
    timeout: 300_000,
  }, async () => {
    const topics = await createPipelineTopics('it.eos', 3);
    const total = 15_000;
    const head = 3000;
    const producer = rawProducer(topics, 'eos');
    const emit = (i: number) => producer.emit(sampleEvent(i, { correlation_id: `eos-${i % 50}` }));
    for (let i = 0; i < head; i++) emit(i);
    await producer.flush(60_000);

    const first = await startChild(topics, 'eos-a');
    // The rest arrives while the first instance works, over about 12 s: a processor takes a
    // whole filled partition in one compressed fetch and one transaction, so with everything
    // written up front it had committed all 15,000 before any kill could land.
    const rest = (async () => {
      for (let i = head; i < total; i++) {
        emit(i);
        if (i % 250 === 249) await sleep(250);
      }
      await producer.close(60_000);
    })();
    while ((await committed(topics)) < 1) await sleep(50);
    first.kill('SIGKILL'); // mid-stream: a transaction may be open
    const killedAt = await committed(topics);
    expect(killedAt).toBeLessThan(total);
    await rest;

    await startChild(topics, 'eos-a'); // same instance id: fences the dead one's transaction
    await sleep(1500);
    await startChild(topics, 'eos-b'); // rebalance while work is in progress
    await expectEachOnce(topics, total);
  });

  it('holds every input exactly once when a frozen instance thaws after another took its partitions', {
    timeout: 300_000,
  }, async () => {
    const topics = await createPipelineTopics('it.zombie', 3);
    const producer = rawProducer(topics, 'zombie');
    // A backlog far larger than both instances clear before the freeze: the frozen one is
    // stopped in the middle of a batch, holding fetched, uncommitted work.
    const total = 60_000;
    for (let i = 0; i < total; i++) producer.emit(sampleEvent(i, { correlation_id: `z-${i % 50}` }));
    const zombie = await startChild(topics, 'zombie-a');
    await startChild(topics, 'zombie-b');
    while ((await committed(topics)) < 6000) await sleep(100);
    zombie.kill('SIGSTOP');
    await sleep(40_000); // past the 30 s session: zombie-b takes every partition
    zombie.kill('SIGCONT'); // it finishes its batch: the commit must be refused (fenced)
    await producer.close(60_000);
    await expectEachOnce(topics, total);
  });
});
