import type { WireCodec } from '@auditflow/kafka';
import { ConsumeLoop } from '@auditflow/stage';
import type { Kafka, KafkaMessage } from 'kafkajs';
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

/** A running reader: pause partitions it has read far enough, stop it when done. */
export interface Reader {
  pause(partitions: readonly number[]): void;
  stop(): Promise<void>;
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
}): Promise<Reader> {
  const { handlers } = options;
  const loop = new ConsumeLoop({
    kafka: options.kafka,
    topic: options.topic,
    groupId: options.groupId,
    logger: options.logger,
    consumer: {
      maxWaitTimeInMs: 100,
      // Small fetches: a batch is handed to subscribers in one go, so it bounds the burst.
      maxBytesPerPartition: 256 * 1024,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      retry: { retries: 10 },
    },
    startAt: options.start,
    // Batches of only transaction markers never reach the stage; this moves cursors past them.
    onBatchEnd: (partition, next) => handlers.onAdvance(partition, next),
    onFatal: options.onFatal,
  });
  await loop.start({
    name: 'streamer-reader',
    // Subscribers hold their own cursors and resume from them: a record can reach one twice.
    guarantee: 'at-least-once',
    commitMode: 'none',
    handleBatch: async (batch) => {
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
      if (!batch.alive()) return;
      await handlers.onRecords(batch.partition, offers, batch.highWatermark, batch.heartbeat);
      // Nothing is committed, but kafkajs fetches from the last resolved offset: without this
      // it would fetch the same batch again and again.
      batch.resolve(batch.lastOffset);
      handlers.onAdvance(batch.partition, batch.lastOffset + 1);
      await batch.heartbeat();
    },
  });
  return { pause: (partitions) => loop.pause(partitions), stop: () => loop.stop() };
}
