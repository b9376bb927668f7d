import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConsumeLoop } from './consume-loop.ts';
import type { Stage, StageBatch } from './contracts.ts';
import { fakeKafka } from './testing.ts';

const TOPIC = 'audit.clean.v1';
const logger = pino({ level: 'silent' });

/** A stage that commits after each batch once `release` lets its write finish. */
function slowSink(events: string[]) {
  let release: (() => void) | undefined;
  const stage: Stage = {
    name: 'test-sink',
    guarantee: 'at-least-once',
    commitMode: 'after-write',
    async handleBatch(batch: StageBatch) {
      events.push(`batch ${batch.firstOffset}-${batch.lastOffset}`);
      await new Promise<void>((r) => {
        release = r;
      });
      await batch.commit(batch.lastOffset + 1);
      events.push('committed');
    },
    async drain() {
      events.push('drain');
    },
    abandon() {
      events.push('abandon');
      release?.();
    },
  };
  return { stage, release: () => release?.(), started: () => release !== undefined };
}

describe('ConsumeLoop', () => {
  it('a stop lets the batch in flight finish and commit, drains the stage, then leaves the group', async () => {
    const fake = fakeKafka(TOPIC);
    const events: string[] = [];
    const sink = slowSink(events);
    const loop = new ConsumeLoop({ kafka: fake.kafka, topic: TOPIC, groupId: 'g', logger });
    await loop.start(sink.stage);
    expect(loop.running).toBe(true);
    const batch = fake.deliver(['a', 'b', 'c']);
    while (!sink.started()) await sleep(1);
    const stopping = loop.stop();
    expect(loop.running).toBe(false);
    await sleep(20);
    expect(events).toEqual(['batch 0-2']); // still waiting for its write
    sink.release();
    await Promise.all([stopping, batch]);
    expect(events).toEqual(['batch 0-2', 'committed', 'drain']);
    expect(fake.commits).toEqual([{ partition: 0, offset: 3, metadata: null }]);
  });

  it('abandons a batch that outlasts the grace, and hands out no batch once stopping', async () => {
    const fake = fakeKafka(TOPIC);
    const events: string[] = [];
    const sink = slowSink(events);
    const loop = new ConsumeLoop({ kafka: fake.kafka, topic: TOPIC, groupId: 'g', logger, stopGraceMs: 30 });
    await loop.start(sink.stage);
    const batch = fake.deliver(['a']);
    while (!sink.started()) await sleep(1);
    await loop.stop();
    await batch;
    expect(events).toEqual(['batch 0-0', 'abandon', 'committed', 'drain']);
    await fake.deliver(['b'], 1);
    expect(events).toHaveLength(4);
  });

  it('backs a failing partition off, and reads committed offsets with their metadata', async () => {
    const fake = fakeKafka(TOPIC, { offset: '7', metadata: '{"v":1,"end":"9"}' });
    const loop = new ConsumeLoop({ kafka: fake.kafka, topic: TOPIC, groupId: 'g', logger });
    const delays: number[] = [];
    await loop.start({
      name: 'failing',
      guarantee: 'at-least-once',
      commitMode: 'after-write',
      async handleBatch(batch) {
        delays.push(batch.backOff());
      },
    });
    await fake.deliver(['x']);
    await fake.deliver(['x']);
    expect(delays).toEqual([200, 400]);
    expect(fake.paused).toEqual([0, 0]);
    expect(await loop.committed(0)).toEqual({ offset: 7, metadata: '{"v":1,"end":"9"}' });
    await loop.stop();
  });

  it("reports each partition's waiting input and its progress as the stage resolves offsets", async () => {
    const fake = fakeKafka(TOPIC);
    const reports: string[] = [];
    const loop = new ConsumeLoop({
      kafka: fake.kafka,
      topic: TOPIC,
      groupId: 'g',
      logger,
      progress: {
        progress: (partition, events) => reports.push(`progress ${partition} +${events}`),
        input: (partition, pending) => reports.push(`input ${partition} ${pending}`),
        forget: (partition) => reports.push(`forget ${partition}`),
      },
    });
    await loop.start({
      name: 'resolving',
      guarantee: 'at-least-once',
      commitMode: 'after-write',
      async handleBatch(batch) {
        batch.resolve(11);
        batch.resolve(11); // again: no progress
        batch.resolve(13);
      },
    });
    await fake.deliver(['a', 'b', 'c', 'd'], 10);
    expect(reports).toEqual(['input 0 4', 'progress 0 +2', 'input 0 2', 'progress 0 +2', 'input 0 0']);
    await loop.stop();
  });
});
