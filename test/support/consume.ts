import { eachRecordSince } from '@auditflow/archive';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { kafkaClient, unique } from './endpoints.ts';

export interface Consumed {
  readonly partition: number;
  readonly offset: string;
  readonly message: KafkaMessage;
}

/** Each partition's low and high watermark now. */
async function topicOffsets(
  kafka: Kafka,
  topic: string,
): Promise<{ partition: number; low: string; high: string }[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads a topic from the beginning up to its current end (high watermarks taken first), with
 * read_committed isolation. Exact: nothing is missed and nothing is waited for past the end.
 */
export async function consumeAll(
  topic: string,
  options: { brokers?: string; timeoutMs?: number } = {},
): Promise<Consumed[]> {
  const kafka = kafkaClient(unique('test-reader'), options.brokers);
  const ends = new Map((await topicOffsets(kafka, topic)).map((p) => [p.partition, Number(p.high)]));
  const remaining = new Set([...ends].filter(([, high]) => high > 0).map(([partition]) => partition));
  const out: Consumed[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({ groupId: unique('test-reader'), readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`read ${out.length} messages of ${topic}; partitions ${[...remaining]} not at their end`),
        ),
      options.timeoutMs ?? 60_000,
    );
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        out.push({ partition, offset: message.offset, message });
        // Transaction markers take offsets too, so "done" is reaching the high watermark.
        if (Number(message.offset) + 1 >= (ends.get(partition) ?? 0)) remaining.delete(partition);
        if (remaining.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

/**
 * Reads a (transactional) topic read_committed until `expected` messages arrived, then keeps
 * reading for `settleMs` so duplicates would show. For topics whose end is a transaction marker.
 */
export async function consumeCount(
  topic: string,
  expected: number,
  options: { brokers?: string; timeoutMs?: number; settleMs?: number } = {},
): Promise<Consumed[]> {
  const kafka = kafkaClient(unique('test-reader'), options.brokers);
  const consumer = kafka.consumer({ groupId: unique('test-reader'), readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: Consumed[] = [];
  let reached: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    reached = resolve;
  });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      out.push({ partition, offset: message.offset, message });
      if (out.length >= expected) reached();
    },
  });
  const timeout = options.timeoutMs ?? 120_000;
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeout).unref());
  const result = await Promise.race([done.then(() => 'ok' as const), timer]);
  if (result === 'ok') await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 2000));
  await consumer.disconnect();
  return out;
}

/**
 * Reads a topic read_committed from its start up to the end it had when called, exactly: a
 * partition is done when a batch reaches its high watermark, counting the transaction markers
 * and aborted records kafkajs filters out (it reports them in END_BATCH_PROCESS). For
 * transactional topics, where consumeAll would wait for a marker that is never delivered.
 */
export async function consumeCommitted(
  topic: string,
  options: { brokers?: string; timeoutMs?: number } = {},
): Promise<Consumed[]> {
  const out: Consumed[] = [];
  await readCommitted(topic, (consumed) => void out.push(consumed), options);
  return out;
}

/**
 * consumeCommitted without holding the topic: each message goes to `each` (awaited) and is
 * let go, so a soak's millions of records fit. The product's own range reader (reconcile's),
 * from the topic's start: each offset handed on once even when a slow `each` outlasts the
 * reader's session, and `timeoutMs` is how long reading may stall. Resolves to the count read.
 */
export async function readCommitted(
  topic: string,
  each: (consumed: Consumed) => void | Promise<void>,
  options: { brokers?: string; timeoutMs?: number } = {},
): Promise<number> {
  return eachRecordSince(
    kafkaClient(unique('test-reader'), options.brokers),
    topic,
    0,
    ({ partition, message }) => each({ partition, offset: message.offset, message }),
    options.timeoutMs,
  );
}
