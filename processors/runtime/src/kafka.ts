import { type Consumer, Kafka, type LogEntry, logLevel } from 'kafkajs';
import type { Logger } from 'pino';

/** A kafkajs client whose own logs go through our pino logger (errors as warnings: kafkajs retries). */
export function kafkaWithLogger(clientId: string, brokers: readonly string[], logger: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers: [...brokers],
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
