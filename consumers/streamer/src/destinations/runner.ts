import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { classifyFailure, type FailureClass, type WireCodec } from '@auditflow/kafka';
import { ConsumeLoop, type Sink, type StageBatch } from '@auditflow/stage';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { DeadLetters } from '../dead-letters.ts';
import { matches } from '../filters.ts';
import { readRecord } from '../records.ts';
import { backoffMs, CircuitBreaker } from './breaker.ts';
import { type DestinationConfig, describeTarget } from './config.ts';
import type { DestinationMetrics } from './metrics.ts';
import { DeliveryError, type Sender } from './sender.ts';

/** A long wait is cut into slices this long, with a group heartbeat after each (session: 30 s). */
const HEARTBEAT_SLICE_MS = 3000;
/** How long past the sender's timeout a stop waits for the send in flight. */
const STOP_GRACE_PAST_TIMEOUT_MS = 1000;

class StoppedError extends Error {
  override readonly name = 'StoppedError';
}

export const groupIdOf = (name: string): string => `auditflow-destination-${name}`;

/**
 * Commit metadata naming the delivery in flight: committed at its first offset before it is
 * sent, so a runner that restarts (killed mid-delivery) cuts its first chunk at the same last
 * offset and sends it again under the same delivery id. Receivers that drop a delivery id they
 * already took then see each event once.
 */
const IN_FLIGHT = 'auditflow-in-flight-through:';

/** The last offset of the delivery in flight that `metadata` names, if any. */
export function inFlightThrough(metadata: string | null | undefined): number | undefined {
  if (!metadata?.startsWith(IN_FLIGHT)) return undefined;
  const last = Number(metadata.slice(IN_FLIGHT.length));
  return Number.isSafeInteger(last) && last >= 0 ? last : undefined;
}

/** The DLQ stage of a destination's runner. */
export const destinationStage = (name: string): string => `destination:${name}`;

/** A matching event waiting in the current chunk, rendered for the destination. */
interface Pending {
  readonly offset: number;
  readonly message: KafkaMessage;
  readonly item: string;
}

/**
 * Feeds one destination from its own consumer group `auditflow-destination-<name>` (L4): reads
 * the clean topic, keeps the events its filters match, delivers them in batches and commits a
 * batch's offsets only after the destination took it, so its position survives restarts. A
 * failing destination is retried with backoff behind a circuit breaker and holds its own
 * position (its lag grows, nothing is skipped); other destinations and subscribers go on. A
 * record it can never take (unreadable, unrenderable in its format, refused by the receiver)
 * goes to the DLQ as stage `destination:<name>` and the runner moves on past it (issue 14).
 */
export class DestinationRunner implements Sink {
  readonly guarantee = 'effectively-once';
  readonly commitMode = 'after-write';
  private readonly loop: ConsumeLoop;
  /** Per partition: the delivery a previous run left in flight, null when none (or used). */
  private readonly inFlight = new Map<number, { from: number; through: number } | null>();
  private readonly breaker: CircuitBreaker;
  private stopping = false;
  /** Ends backoff waits at once when the runner stops. */
  private readonly wake = new AbortController();
  /**
   * Aborts a send in flight: only when a stop's grace runs out. A graceful stop lets the send
   * finish and its offsets commit, since an aborted request the receiver already took would go
   * again after the restart (receivers drop the repeat by its delivery id, but need not).
   */
  private readonly abandonSend = new AbortController();
  private readonly log: Logger;

  constructor(
    readonly config: DestinationConfig,
    private readonly deps: {
      kafka: Kafka;
      codec: WireCodec;
      topic: string;
      sender: Sender;
      deadLetters: DeadLetters;
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
    this.loop = new ConsumeLoop({
      kafka: deps.kafka,
      topic: deps.topic,
      groupId: groupIdOf(config.name),
      logger: this.log,
      consumer: {
        maxWaitTimeInMs: 200,
        maxBytesPerPartition: 512 * 1024,
        sessionTimeout: 30_000,
        heartbeatInterval: 3000,
        retry: { retries: 10 },
      },
      fromBeginning: config.start === 'earliest',
      // A stop lets the send in flight finish; past the sender's own timeout it is abandoned.
      stopGraceMs: config.timeout_ms + STOP_GRACE_PAST_TIMEOUT_MS,
      onFatal: deps.onFatal,
    });
  }

  get name(): string {
    return destinationStage(this.config.name);
  }

  get ready(): boolean {
    return this.loop.running;
  }

  private get batchSize(): number {
    return this.config.batch_size ?? (this.config.type === 'webhook' ? 100 : 500);
  }

  async start(): Promise<void> {
    this.deps.metrics.up.set({ destination: this.config.name }, 1);
    await this.loop.start(this);
    this.log.info({ format: this.config.format }, 'destination running');
  }

  /** Partitions (re)assigned: what was in flight on them is read again from the group. */
  onAssignment(): void {
    this.inFlight.clear();
  }

  abandon(): void {
    this.abandonSend.abort();
  }

  async handleBatch(batch: StageBatch): Promise<void> {
    try {
      await this.deliverBatch(batch);
    } catch (err) {
      // Stopping mid-batch: nothing past the last delivered chunk was committed; the next
      // start (or the partition's next owner) takes it from there.
      if (err instanceof StoppedError) return;
      throw err;
    }
  }

  private async deliverBatch(batch: StageBatch): Promise<void> {
    const { codec, metrics, sender } = this.deps;
    const name = this.config.name;
    const alive = (): boolean => batch.alive() && !this.stopping;
    const heartbeat = batch.heartbeat;
    const source = { topic: batch.topic, partition: batch.partition };
    let chunk: Pending[] = [];
    // A delivery a previous run sent but did not commit ends here, so it goes again as it was.
    let resumeThrough = await this.inFlightThrough(batch.partition, batch.messages[0]?.offset);
    const flush = async (through: number): Promise<void> => {
      if (chunk.length > 0) {
        const first = (chunk[0] as Pending).offset;
        await batch.commit(first, `${IN_FLIGHT}${(chunk.at(-1) as Pending).offset}`);
        await this.deliver(chunk, source, heartbeat, alive);
        chunk = [];
      }
      await batch.commit(through + 1);
      // kafkajs fetches from the last resolved offset: resolve only what was delivered.
      batch.resolve(through);
    };
    for (const message of batch.messages) {
      if (!alive()) return;
      const offset = Number(message.offset);
      // Throws only for retriable trouble (registry down): kafkajs retries the batch.
      const record = await readRecord(codec, message.value);
      if (!record.ok) {
        metrics.undecodable.inc({ destination: name });
        await this.setAside(source, message, record.reason, record.error);
        continue;
      }
      if (!matches(this.config.filters, record.event)) continue;
      let item: string;
      try {
        item = sender.render(record.event, record.json);
      } catch (err) {
        const detail = `${this.config.format} cannot render event ${record.event.id}: ${classifyFailure(err).detail}`;
        await this.setAside(source, message, 'unrenderable', detail);
        continue;
      }
      chunk.push({ offset, message, item });
      if (chunk.length >= this.batchSize || (resumeThrough !== undefined && offset >= resumeThrough)) {
        resumeThrough = undefined;
        await flush(offset);
      }
    }
    if (!alive()) return;
    await flush(batch.lastOffset);
    metrics.lag.set(
      { destination: name, partition: String(batch.partition) },
      Math.max(0, batch.highWatermark - batch.lastOffset - 1),
    );
  }

  /** One record this destination can never take: to the DLQ (awaited), then the runner moves on. */
  private async setAside(
    source: { topic: string; partition: number },
    message: KafkaMessage,
    reason: string,
    error: string,
  ): Promise<void> {
    this.deps.metrics.deadLettered.inc({ destination: this.config.name, reason });
    await this.deps.deadLetters.send(source, message, destinationStage(this.config.name), reason, error);
  }

  /**
   * Sends events until the destination took them; throws only when stopping or on a rebalance.
   * Retriable failures back off behind the breaker and try the same batch again. A permanent
   * answer (the receiver refuses the content) splits the batch in halves, each delivered the same
   * way, so only the events the receiver refuses on their own reach the DLQ: a batch of n with
   * one such event costs about 2·log2(n) extra requests.
   */
  private async deliver(
    events: readonly Pending[],
    source: { topic: string; partition: number },
    heartbeat: () => Promise<void>,
    alive: () => boolean,
  ): Promise<void> {
    const { metrics, sender, topic } = this.deps;
    const name = this.config.name;
    const first = (events[0] as Pending).offset;
    const last = (events.at(-1) as Pending).offset;
    // Stable across retries and restarts: receivers can drop a batch they already took.
    const id = createHash('sha256')
      .update(`${name}/${topic}/${source.partition}/${first}-${last}`)
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
        await sender.send({ id, items: events.map((e) => e.item) }, this.abandonSend.signal);
        metrics.deliveries.inc({ destination: name }, events.length);
        metrics.batches.inc({ destination: name, result: 'ok' });
        metrics.latency.observe({ destination: name }, (performance.now() - started) / 1000);
        metrics.lastDelivery.set({ destination: name }, Date.now() / 1000);
        this.closeBreaker(attempt);
        return;
      } catch (err) {
        if (this.stopping) throw new StoppedError('stopping during delivery');
        const failure = classifyFailure(err);
        if (!failure.retriable) {
          // The receiver is there and answered: not a reason to open the breaker.
          metrics.batches.inc({ destination: name, result: 'refused' });
          this.closeBreaker(attempt);
          await this.refused(events, failure, source, heartbeat, alive);
          return;
        }
        metrics.failures.inc({ destination: name });
        metrics.batches.inc({ destination: name, result: 'failed' });
        const transition = this.breaker.failure(Date.now());
        if (transition === 'open') {
          metrics.up.set({ destination: name }, 0);
          this.log.warn(
            {
              err: failure.detail,
              failures: this.breaker.failures,
              cooldown_ms: this.config.breaker.cooldown_ms,
            },
            'destination failing: circuit open, holding its position',
          );
        } else {
          this.log.warn({ err: failure.detail, attempt, events: events.length }, 'delivery failed; retrying');
        }
        const backoff = backoffMs(attempt, {
          initialMs: this.config.retry.initial_ms,
          maxMs: this.config.retry.max_ms,
        });
        const asked = err instanceof DeliveryError ? (err.retryAfterMs ?? 0) : 0;
        await this.pause(Math.min(this.config.retry.max_ms, Math.max(backoff, asked)), heartbeat, alive);
      }
    }
  }

  /** The receiver refused these events' content: narrow down to the ones it refuses alone. */
  private async refused(
    events: readonly Pending[],
    failure: FailureClass,
    source: { topic: string; partition: number },
    heartbeat: () => Promise<void>,
    alive: () => boolean,
  ): Promise<void> {
    if (events.length === 1) {
      const only = events[0] as Pending;
      this.log.warn({ offset: only.offset, err: failure.detail }, 'the destination refuses this event');
      await this.setAside(
        source,
        only.message,
        failure.reason,
        `the destination refused it: ${failure.detail}`,
      );
      return;
    }
    const half = Math.ceil(events.length / 2);
    await this.deliver(events.slice(0, half), source, heartbeat, alive);
    await this.deliver(events.slice(half), source, heartbeat, alive);
  }

  private closeBreaker(attempt: number): void {
    if (this.breaker.success() !== 'closed') return;
    this.deps.metrics.up.set({ destination: this.config.name }, 1);
    this.log.info({ attempts: attempt }, 'destination recovered: circuit closed');
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

  /**
   * The last offset of the delivery in flight on `partition` when the group's commit (read
   * once per assignment) is exactly where this batch starts; undefined otherwise.
   */
  private async inFlightThrough(partition: number, start: string | undefined): Promise<number | undefined> {
    let known = this.inFlight.get(partition);
    if (known === undefined) {
      const committed = await this.loop.committed(partition);
      const through = inFlightThrough(committed.metadata);
      known = through === undefined ? null : { from: committed.offset, through };
      this.inFlight.set(partition, known);
    }
    if (known === null) return undefined;
    // Asked once: later batches of this assignment start past it.
    this.inFlight.set(partition, null);
    return start !== undefined && Number(start) <= known.through && Number(start) >= known.from
      ? known.through
      : undefined;
  }

  /**
   * Lets the send in flight finish and its offsets commit (abandoning it after the sender's own
   * timeout), ends backoff waits and sends nothing new, then leaves the group. The commit must
   * land before `disconnect()`: kafkajs drops commits once its runner is stopping.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    await this.loop.stop();
    await this.deps.sender.close();
    this.log.info('destination stopped');
  }
}
