/**
 * An in-process stand-in for the kafkajs client, for unit tests of a stage's pure batch logic
 * only (integration tests use the real broker). It records commits the way kafkajs makes them
 * (dropped once the consumer disconnects, as kafkajs drops commits of a stopping runner) and
 * lets a test hand the stage batches as kafkajs would.
 */
import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';

export interface FakeGroupState {
  offset: string;
  metadata: string | null;
}

export interface FakeKafka {
  readonly kafka: Kafka;
  /** Commits in order: offset and metadata (null when none). */
  readonly commits: { partition: number; offset: number; metadata: string | null }[];
  /** Offsets the stage resolved (its fetch position). */
  readonly resolved: string[];
  readonly paused: number[];
  /** The group's committed offset of partition 0, as `committed()` reads it. */
  readonly group: FakeGroupState;
  /** Hands the running consumer one batch of partition 0 (values as message bytes). */
  deliver(values: readonly string[], from?: number): Promise<void>;
}

export function fakeKafka(
  topic: string,
  group: FakeGroupState = { offset: '-1', metadata: null },
): FakeKafka {
  const commits: FakeKafka['commits'] = [];
  const resolved: string[] = [];
  const paused: number[] = [];
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  let disconnected = false;
  const consumer = {
    events: { GROUP_JOIN: 'group_join', END_BATCH_PROCESS: 'end_batch', CRASH: 'crash' },
    on: () => () => {},
    connect: async () => {},
    subscribe: async () => {},
    run: async (options: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      eachBatch = options.eachBatch;
    },
    commitOffsets: async (offsets: { partition: number; offset: string; metadata?: string | null }[]) => {
      if (disconnected) return;
      for (const o of offsets) {
        commits.push({ partition: o.partition, offset: Number(o.offset), metadata: o.metadata ?? null });
        Object.assign(group, { offset: o.offset, metadata: o.metadata ?? null });
      }
    },
    seek: () => {},
    pause: () => {},
    resume: () => {},
    disconnect: async () => {
      disconnected = true;
    },
  };
  const admin = {
    connect: async () => {},
    disconnect: async () => {},
    fetchOffsets: async () => [{ topic, partitions: [{ partition: 0, ...group }] }],
    fetchTopicOffsets: async () => [{ partition: 0, low: '0', high: '0', offset: '0' }],
  };
  const kafka = { consumer: () => consumer, admin: () => admin } as unknown as Kafka;
  const deliver = (values: readonly string[], from = 0): Promise<void> => {
    if (!eachBatch) throw new Error('the stage has not started its consume loop');
    return eachBatch({
      batch: {
        topic,
        partition: 0,
        messages: values.map(
          (v, i) =>
            ({ offset: String(from + i), key: null, value: Buffer.from(v), headers: {} }) as KafkaMessage,
        ),
        firstOffset: () => String(from),
        lastOffset: () => String(from + values.length - 1),
        highWatermark: String(from + values.length),
      },
      heartbeat: async () => {},
      isRunning: () => !disconnected,
      isStale: () => false,
      resolveOffset: (offset: string) => resolved.push(offset),
      pause: () => {
        paused.push(0);
        return () => {};
      },
    } as unknown as EachBatchPayload);
  };
  return { kafka, commits, resolved, paused, group, deliver };
}
