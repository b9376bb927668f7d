import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DecodeError, onConsumerCrash, type WireCodec } from '@auditflow/processor-runtime';
import { type AuditEventJson, toJsonForm } from '@auditflow/schemas';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { matches } from '../filters.ts';
import { backoffMs, CircuitBreaker } from './breaker.ts';
import { type DestinationConfig, describeTarget } from './config.ts';
import type { DestinationMetrics } from './metrics.ts';
import type { Sender } from './sender.ts';

/** A long wait is cut into slices this long, with a group heartbeat after each (session: 30 s). */
const HEARTBEAT_SLICE_MS = 3000;

class StoppedError extends Error {
  override readonly name = 'StoppedError';
}

export const groupIdOf = (name: string): string => `auditflow-destination-${name}`;

/**
 * Feeds one destination from its own consumer group `auditflow-destination-<name>` (L4): reads
 * the clean topic, keeps the events its filters match, delivers them in batches and commits a
 * batch's offsets only after the destination took it, so its position survives restarts. A
 * failing destination is retried with backoff behind a circuit breaker and holds its own
 * position (its lag grows, nothing is skipped); other destinations and subscribers go on.
 */
export class DestinationRunner {
  private consumer: Consumer | undefined;
  private readonly breaker: CircuitBreaker;
  private stopping = false;
  private readonly wake = new AbortController();
  private running = false;
  private readonly log: Logger;

  constructor(
    readonly config: DestinationConfig,
    private readonly deps: {
      kafka: Kafka;
      codec: WireCodec;
      topic: string;
      sender: Sender;
      logger: Logger;
      metrics: DestinationMetrics;
      onFatal?: (err: Error) => void;
    },
  ) {
    this.breaker = new CircuitBreaker({
      failureThreshold: config.breaker.failures,
      cooldownMs: config.breaker.cooldown_ms,
    });
    // Never the config object itself: it holds secrets.
    this.log = deps.logger.child({ destination: config.name, target: describeTarget(config) });
  }

  get ready(): boolean {
    return this.running;
  }

  private get batchSize(): number {
    return this.config.batch_size ?? (this.config.type === 'webhook' ? 100 : 500);
  }

  async start(): Promise<void> {
    const { kafka, topic, metrics } = this.deps;
    const name = this.config.name;
    metrics.up.set({ destination: name }, 1);
    const consumer = kafka.consumer({
      groupId: groupIdOf(name),
      maxWaitTimeInMs: 200,
      maxBytesPerPartition: 512 * 1024,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      retry: { retries: 10 },
    });
    this.consumer = consumer;
    onConsumerCrash(consumer, this.log, (err) => {
      this.running = false;
      this.deps.onFatal?.(err);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: this.config.start === 'earliest' });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.batch(payload),
    });
    this.running = true;
    this.log.info({ group: groupIdOf(name), topic, format: this.config.format }, 'destination running');
  }

  private async batch(payload: EachBatchPayload): Promise<void> {
    try {
      await this.deliverBatch(payload);
    } catch (err) {
      // Stopping mid-batch: nothing past the last delivered chunk was committed; the next
      // start (or the partition's next owner) takes it from there.
      if (err instanceof StoppedError) return;
      throw err;
    }
  }

  private async deliverBatch({
    batch,
    heartbeat,
    isRunning,
    isStale,
    resolveOffset,
  }: EachBatchPayload): Promise<void> {
    const { codec, metrics } = this.deps;
    const name = this.config.name;
    const alive = (): boolean => isRunning() && !isStale() && !this.stopping;
    let chunk: { events: AuditEventJson[]; jsons: string[]; first: number } | undefined;
    const flush = async (through: number): Promise<void> => {
      if (chunk) {
        await this.deliver({ ...chunk, last: through }, batch.partition, heartbeat, alive);
        chunk = undefined;
      }
      await this.commit(batch.partition, through + 1);
      // kafkajs fetches from the last resolved offset: resolve only what was delivered.
      resolveOffset(String(through));
    };
    for (const message of batch.messages) {
      const offset = Number(message.offset);
      let event: AuditEventJson;
      try {
        event = toJsonForm(await codec.decode(message.value));
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err; // registry down: kafkajs retries the batch
        metrics.undecodable.inc({ destination: name });
        this.log.warn(
          { partition: batch.partition, offset, err: err.message },
          'skipping an undecodable record',
        );
        continue;
      }
      if (!matches(this.config.filters, event)) continue;
      chunk ??= { events: [], jsons: [], first: offset };
      chunk.events.push(event);
      chunk.jsons.push(JSON.stringify(event));
      if (chunk.events.length >= this.batchSize) await flush(offset);
    }
    if (!alive()) return;
    await flush(Number(batch.lastOffset()));
    const high = Number(batch.highWatermark);
    metrics.lag.set(
      { destination: name, partition: String(batch.partition) },
      Math.max(0, high - Number(batch.lastOffset()) - 1),
    );
  }

  /** Sends one chunk until the destination takes it; throws only when stopping or on a rebalance. */
  private async deliver(
    chunk: { events: AuditEventJson[]; jsons: string[]; first: number; last: number },
    partition: number,
    heartbeat: () => Promise<void>,
    alive: () => boolean,
  ): Promise<void> {
    const { metrics, sender, topic } = this.deps;
    const name = this.config.name;
    // Stable across retries and restarts: receivers can drop a batch they already took.
    const id = createHash('sha256')
      .update(`${name}/${topic}/${partition}/${chunk.first}-${chunk.last}`)
      .digest('base64url')
      .slice(0, 22);
    for (let attempt = 1; ; attempt++) {
      const wait = this.breaker.waitMs(Date.now());
      if (wait > 0) {
        await this.pause(wait, heartbeat, alive);
        continue;
      }
      if (!alive()) throw new StoppedError('stopping before delivery');
      const started = performance.now();
      try {
        await sender.send({ id, events: chunk.events, jsons: chunk.jsons });
        metrics.deliveries.inc({ destination: name }, chunk.events.length);
        metrics.batches.inc({ destination: name, result: 'ok' });
        metrics.latency.observe({ destination: name }, (performance.now() - started) / 1000);
        metrics.lastDelivery.set({ destination: name }, Date.now() / 1000);
        if (this.breaker.success() === 'closed') {
          metrics.up.set({ destination: name }, 1);
          this.log.info({ attempts: attempt }, 'destination recovered: circuit closed');
        }
        return;
      } catch (err) {
        const message = (err as Error).message;
        metrics.failures.inc({ destination: name });
        metrics.batches.inc({ destination: name, result: 'failed' });
        const transition = this.breaker.failure(Date.now());
        if (transition === 'open') {
          metrics.up.set({ destination: name }, 0);
          this.log.warn(
            { err: message, failures: this.breaker.failures, cooldown_ms: this.config.breaker.cooldown_ms },
            'destination failing: circuit open, holding its position',
          );
        } else {
          this.log.warn({ err: message, attempt, events: chunk.events.length }, 'delivery failed; retrying');
        }
        await this.pause(
          backoffMs(attempt, { initialMs: this.config.retry.initial_ms, maxMs: this.config.retry.max_ms }),
          heartbeat,
          alive,
        );
      }
    }
  }

  /** Waits, heartbeating the group; ends early (throwing) when the runner stops. */
  private async pause(ms: number, heartbeat: () => Promise<void>, alive: () => boolean): Promise<void> {
    const until = Date.now() + ms;
    for (let left = ms; left > 0; left = until - Date.now()) {
      if (!alive()) throw new StoppedError('stopping while waiting to retry');
      try {
        await sleep(Math.min(left, HEARTBEAT_SLICE_MS), undefined, { signal: this.wake.signal });
      } catch {
        throw new StoppedError('stopping while waiting to retry');
      }
      await heartbeat();
    }
  }

  private async commit(partition: number, next: number): Promise<void> {
    await (this.consumer as Consumer).commitOffsets([
      { topic: this.deps.topic, partition, offset: String(next) },
    ]);
  }

  /** Lets the delivery in progress finish (or abandons its retries), then leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    this.running = false;
    await this.consumer?.disconnect();
    await this.deps.sender.close();
    this.log.info('destination stopped');
  }
}
