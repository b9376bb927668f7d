import { onConsumerCrash, type WireCodec } from '@auditflow/kafka';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { readRecord } from './records.ts';
import type { Offer } from './subscriber.ts';

export interface ReaderHandlers {
  /**
   * Records of one fetched batch, decoded, in offset order. May wait (catch-up backpressure);
   * a handler that waits long calls `heartbeat` so the reader keeps its group membership.
   * One batch can hold thousands of records (the SDK gzips, fetch limits count compressed bytes).
   */
  onRecords(
    partition: number,
    offers: Offer[],
    highWatermark: number,
    heartbeat: () => Promise<void>,
  ): Promise<void> | void;
  /** The reader has passed `next` on a partition (including transaction markers it skips). */
  onAdvance(partition: number, next: number): void;
  /**
   * A record that can never be shown (undecodable, or no JSON form): the live feed sets it
   * aside in the DLQ (awaited, before the batch is handed out, so a failed DLQ write retries the
   * batch); catch-up readers only count it. Subscribers' cursors move past it either way.
   */
  onPermanentFailure(
    partition: number,
    message: KafkaMessage,
    reason: string,
    error: string,
  ): Promise<void> | void;
}

/**
 * Reads a topic from given offsets without committing anything. kafkajs has no manual
 * `assign()`, so each reader is a consumer in a group of its own (one member gets every
 * partition) that seeks once it has run. A fetch before the seek takes effect reads from the
 * earliest offset, never past the start, and the subscriber's cursor drops what it already has:
 * seeking only saves reading, correctness never depends on it.
 */
export async function startReader(options: {
  kafka: Kafka;
  codec: WireCodec;
  topic: string;
  groupId: string;
  start: ReadonlyMap<number, number>;
  logger: Logger;
  handlers: ReaderHandlers;
  onFatal?: (err: Error) => void;
}): Promise<Consumer> {
  const { handlers, topic } = options;
  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    maxWaitTimeInMs: 100,
    // Small fetches: a batch is handed to subscribers in one go, so it bounds the burst.
    maxBytesPerPartition: 256 * 1024,
    sessionTimeout: 30_000,
    heartbeatInterval: 3000,
    retry: { retries: 10 },
  });
  if (options.onFatal) onConsumerCrash(consumer, options.logger, options.onFatal);
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    // Batches of only transaction markers never reach eachBatch; this moves cursors past them.
    if (payload.topic === topic) handlers.onAdvance(payload.partition, Number(payload.lastOffset) + 1);
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload) => {
      const offers: Offer[] = [];
      for (const message of batch.messages) {
        // Throws only for retriable trouble (registry down): kafkajs retries the batch.
        const record = await readRecord(options.codec, message.value);
        const offset = Number(message.offset);
        if (record.ok) {
          offers.push({
            partition: batch.partition,
            offset,
            event: record.event,
            json: record.json,
            message,
          });
          continue;
        }
        await handlers.onPermanentFailure(batch.partition, message, record.reason, record.error);
        offers.push({ partition: batch.partition, offset, event: null, json: null, message });
      }
      if (!isRunning() || isStale()) return;
      await handlers.onRecords(batch.partition, offers, Number(batch.highWatermark), heartbeat);
      // Nothing is committed, but kafkajs fetches from the last resolved offset: without this
      // it would fetch the same batch again and again.
      resolveOffset(batch.lastOffset());
      handlers.onAdvance(batch.partition, Number(batch.lastOffset()) + 1);
      await heartbeat();
    },
  });
  for (const [partition, offset] of options.start)
    consumer.seek({ topic, partition, offset: String(offset) });
  return consumer;
}
