import { deadLetter } from '@auditflow/kafka';
import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';

const METRIC = 'auditflow_streamer_dead_lettered_total';

/**
 * The streamer's way to the DLQ: one idempotent producer (acks=all) writing `deadLetter()`
 * records, stage `streamer` for the live feed and `destination:<name>` for push destinations.
 * `send` resolves once Kafka has the record, so a reader only moves past (or commits) a record
 * that is set aside for good; when Kafka refuses, it throws and the batch is retried.
 */
export class DeadLetters {
  private producer: Producer | undefined;
  private connecting: Promise<Producer> | undefined;
  private readonly counter: Counter<'stage' | 'reason'>;

  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    private readonly deps: { logger: Logger; registry: Registry },
  ) {
    // The hub and the destinations share a registry in one process: one counter for both.
    this.counter =
      (deps.registry.getSingleMetric(METRIC) as Counter<'stage' | 'reason'> | undefined) ??
      new Counter({
        name: METRIC,
        help: 'Records the streamer or a destination set aside in the DLQ, by stage and reason',
        labelNames: ['stage', 'reason'],
        registers: [deps.registry],
      });
  }

  async send(
    source: { readonly topic: string; readonly partition: number },
    message: KafkaMessage,
    stage: string,
    reason: string,
    error: string,
  ): Promise<void> {
    const producer = await this.connect();
    await producer.send({
      topic: this.topic,
      acks: -1,
      messages: [deadLetter(source, message, stage, reason, error)],
    });
    this.counter.inc({ stage, reason });
    this.deps.logger.warn(
      { stage, reason, partition: source.partition, offset: message.offset, err: error.slice(0, 300) },
      'record set aside in the DLQ',
    );
  }

  async stop(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.connecting = undefined;
    await producer?.disconnect();
  }

  /** Connected on first use: a streamer that never meets a bad record opens no producer. */
  private connect(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      try {
        await producer.connect();
      } catch (err) {
        this.connecting = undefined;
        throw err;
      }
      this.producer = producer;
      return producer;
    })();
    return this.connecting;
  }
}
