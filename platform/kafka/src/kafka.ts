import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, type Consumer, type ITopicConfig, Kafka, type LogEntry, logLevel } from 'kafkajs';
import type { Logger } from 'pino';
import { type KafkaSecurity, kafkaSecurityFromEnv } from './kafka-security.ts';

/**
 * A kafkajs client whose own logs go through our pino logger (errors as warnings: kafkajs
 * retries), with TLS/SASL from KAFKA_SSL* / KAFKA_SASL_* unless given.
 */
export function kafkaWithLogger(
  clientId: string,
  brokers: readonly string[],
  logger: Logger,
  security: KafkaSecurity = kafkaSecurityFromEnv(),
): Kafka {
  return new Kafka({
    clientId,
    brokers: [...brokers],
    ...security,
    retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) =>
        logger[level <= logLevel.ERROR ? 'warn' : 'debug']({ kafkajs: entry.message }, 'kafkajs'),
  });
}

/**
 * Calls `onFatal` when kafkajs gives up on a consumer for good: without it the process would
 * only pretend to work, so services exit and let their supervisor restart them.
 */
export function onConsumerCrash(consumer: Consumer, logger: Logger, onFatal: (err: Error) => void): void {
  consumer.on(consumer.events.CRASH, (e) => {
    if (e.payload.restart) return;
    logger.fatal({ err: e.payload.error.message }, 'consumer crashed and will not restart');
    onFatal(e.payload.error);
  });
}

/**
 * Creates topics and waits until every partition has a leader. kafkajs' own `waitForLeaders`
 * gives up on UNKNOWN_TOPIC_OR_PARTITION, which a fresh KRaft broker answers for a moment.
 */
export async function createTopicsReady(
  admin: Admin,
  topics: ITopicConfig[],
  timeoutMs = 30_000,
): Promise<void> {
  await admin.createTopics({ topics, waitForLeaders: false });
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: names });
      const ready =
        metadata.topics.length === names.length &&
        metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline)
      throw new Error(`topics ${names.join(', ')} have no leader after ${timeoutMs} ms`);
    await sleep(100);
  }
}
