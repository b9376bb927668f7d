import type { Kafka, KafkaMessage } from 'kafkajs';

export interface RangeMessage {
  readonly partition: number;
  readonly message: KafkaMessage;
}

/**
 * Every committed record of a topic written at or after `since` (ms), up to the end the topic
 * had when called. A throwaway consumer group reads it; nothing is committed anywhere.
 */
export async function readTopicSince(
  kafka: Kafka,
  topic: string,
  since: number,
  timeoutMs = 120_000,
): Promise<RangeMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  let starts: { partition: number; offset: string }[];
  let ends: Map<number, bigint>;
  try {
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
    starts = await admin.fetchTopicOffsetsByTimestamp(topic, since);
  } finally {
    await admin.disconnect();
  }
  const pending = new Map<number, bigint>();
  for (const { partition, offset } of starts) {
    const end = ends.get(partition) ?? 0n;
    const start = offset === '-1' ? end : BigInt(offset);
    if (start < end) pending.set(partition, end);
  }
  const out: RangeMessage[] = [];
  if (pending.size === 0) return out;
  const groupId = `auditflow-reader-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let lastProgress = Date.now();
      const finish = () => {
        clearInterval(idle);
        resolve();
      };
      // Transaction markers take offsets but are never delivered: a partition whose remaining
      // offsets are all markers shows no progress. Its end is taken as reached after 5 s quiet.
      // (The first fetch waits for the group to form: allow 10 s before judging quiet.)
      const started = Date.now();
      const idle = setInterval(() => {
        if (Date.now() - started > timeoutMs) {
          clearInterval(idle);
          reject(new Error(`reading ${topic} did not finish within ${timeoutMs / 1000}s`));
        } else if (Date.now() - lastProgress > 5000 && Date.now() - started > 10_000) finish();
      }, 500);
      void consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch, resolveOffset }) => {
            const end = pending.get(batch.partition);
            if (end === undefined) return;
            for (const message of batch.messages) {
              if (BigInt(message.offset) >= end) break;
              out.push({ partition: batch.partition, message });
              resolveOffset(message.offset);
              lastProgress = Date.now();
              if (BigInt(message.offset) + 1n >= end) pending.delete(batch.partition);
            }
            if (pending.size === 0) finish();
          },
        })
        .catch(reject);
      for (const { partition, offset } of starts) {
        if (pending.has(partition)) consumer.seek({ topic, partition, offset });
      }
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
