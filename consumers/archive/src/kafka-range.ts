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
  const out: RangeMessage[] = [];
  await eachRecordSince(kafka, topic, since, (record) => void out.push(record), timeoutMs);
  return out;
}

/**
 * readTopicSince without holding the range: each record goes to `each` (awaited, in partition
 * order) and is let go, so reconciling a day of traffic needs memory for its accounting only,
 * not for every record of four topics. Resolves to the number of records read. `timeoutMs` is
 * how long the read may go without a batch arriving, not its whole length: a window of millions
 * of records, each decoded on the way, takes minutes (1.78 M raw records did not fit in 120 s).
 */
export async function eachRecordSince(
  kafka: Kafka,
  topic: string,
  since: number,
  each: (record: RangeMessage) => void | Promise<void>,
  timeoutMs = 120_000,
): Promise<number> {
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
  /**
   * The next offset to hand on, per partition, from the range's start. A slow `each` can outlast
   * the reader's session; kafkajs then rejoins and fetches again from the group's position (the
   * topic's start: nothing is committed), and without this records would be handed on twice or
   * from before the range.
   */
  const next = new Map<number, bigint>();
  for (const { partition, offset } of starts) {
    const end = ends.get(partition) ?? 0n;
    const start = offset === '-1' ? end : BigInt(offset);
    if (start < end) pending.set(partition, end);
    next.set(partition, start);
  }
  let read = 0;
  if (pending.size === 0) return read;
  const groupId = `auditflow-reader-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const consumer = kafka.consumer({ groupId, readUncommitted: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const finish = () => {
        clearInterval(idle);
        resolve();
      };
      // The end of a partition is known, never guessed from a quiet spell: a reader that stopped
      // early under load made reconcile report the unread events' sequences as gaps (and would
      // hide real ones). Transaction markers take offsets but are never delivered; kafkajs
      // reports a batch of nothing but markers through END_BATCH_PROCESS, with its last offset.
      const reached = (partition: number, lastOffset: string) => {
        const end = pending.get(partition);
        if (end !== undefined && BigInt(lastOffset) + 1n >= end) pending.delete(partition);
        if (pending.size === 0) finish();
      };
      let lastProgress = Date.now();
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        lastProgress = Date.now();
        if (e.payload.topic === topic) reached(e.payload.partition, e.payload.lastOffset);
      });
      const idle = setInterval(() => {
        if (Date.now() - lastProgress > timeoutMs) {
          clearInterval(idle);
          const left = [...pending].map(([p, end]) => `${p} (end ${end})`).join(', ');
          reject(
            new Error(
              `reading ${topic} stalled: no batch for ${timeoutMs / 1000}s after ${read} records, partitions ${left} not at their end`,
            ),
          );
        }
      }, 500);
      void consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
            lastProgress = Date.now();
            const end = pending.get(batch.partition);
            if (end === undefined) return;
            for (const message of batch.messages) {
              const offset = BigInt(message.offset);
              if (offset >= end) break;
              if (offset < (next.get(batch.partition) ?? 0n)) continue;
              next.set(batch.partition, offset + 1n);
              read++;
              await each({ partition: batch.partition, message });
              resolveOffset(message.offset);
            }
            await heartbeat();
            reached(batch.partition, batch.lastOffset());
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
  return read;
}
