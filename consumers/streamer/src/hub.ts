import { randomUUID } from 'node:crypto';
import { setTimeout as sleep, setImmediate as yieldToIo } from 'node:timers/promises';
import { kafkaWithLogger, WireCodec } from '@auditflow/kafka';
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DeadLetters } from './dead-letters.ts';
import type { Framer } from './frames.ts';
import type { Since } from './position.ts';
import { type Reader, startReader } from './reader.ts';
import { fanOut, type Offer, type Sink, Subscriber } from './subscriber.ts';
import type { Scope } from './tokens.ts';

export interface HubConfig {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  readonly topic: string;
  /** Frames a subscriber may have queued before it counts as fallen behind (L3). */
  readonly maxBuffered: number;
  /** Bytes of those frames (default DEFAULT_MAX_BUFFERED_BYTES): the bound holds for large events too. */
  readonly maxBufferedBytes?: number;
  readonly maxSubscribers: number;
  /** Resumes reading history at the same time; each is a short-lived Kafka consumer. */
  readonly maxCatchUps: number;
  readonly instanceId: string;
  /** Where the live feed sets aside records it can never show (`audit.dlq.v1`). */
  readonly dlqTopic: string;
}

/** Records the live feed hands out before it lets the event loop run (socket writes, drains). */
const LIVE_SLICE = 64;
/** A catch-up reader waiting for its subscriber heartbeats this often (session timeout is 30 s). */
const HEARTBEAT_EVERY_MS = 3000;
/** Records remembered as dead-lettered for a subscriber's failure, so many subscribers make one DLQ record. */
const RENDER_FAILURES_REMEMBERED = 10_000;
/** The DLQ stage of the live feed. */
export const STREAMER_STAGE = 'streamer';

export class CapacityError extends Error {
  override readonly name = 'CapacityError';
}

export interface HubMetrics {
  readonly subscribers: Gauge<'transport'>;
  readonly overflows: Counter<'transport'>;
  readonly catchUps: Gauge;
  readonly lag: Gauge<'partition'>;
  readonly undecodable: Counter<'feed'>;
  readonly renderFailures: Counter<'transport'>;
  readonly emitToSubscriber: Histogram;
}

/**
 * The live feed: one Kafka reader of the clean topic, fanned out to every subscriber without
 * ever waiting for one (L3); and catch-up readers for subscribers that resume from a position
 * or a time (L2), handing over to the live feed partition by partition.
 */
export class StreamHub {
  private readonly kafka: Kafka;
  private readonly codec: WireCodec;
  private admin: Admin | undefined;
  private live: Reader | undefined;
  /** Next offset per partition that the live feed will hand out. */
  private readonly liveNext = new Map<number, number>();
  /** Connected subscribers and their transport (`sse`, `ws`). */
  private readonly subscribers = new Map<Subscriber, string>();
  private readonly deadLetters: DeadLetters;
  /** Records already dead-lettered because a subscriber could not be given them (bounded). */
  private readonly renderFailed = new Set<string>();
  private readonly catchUps = new Set<Reader>();
  /** Stops the catch-up reader of a subscriber that goes away before it caught up. */
  private readonly stopCatchUp = new Map<Subscriber, () => void>();
  readonly metrics: HubMetrics;
  private running = false;

  constructor(
    private readonly config: HubConfig,
    private readonly deps: { logger: Logger; registry: Registry; onFatal?: (err: Error) => void },
  ) {
    this.kafka = kafkaWithLogger('auditflow-streamer', config.brokers, deps.logger);
    this.codec = new WireCodec(config.registryUrl);
    const registers = [deps.registry];
    this.metrics = {
      subscribers: new Gauge({
        name: 'auditflow_streamer_subscribers',
        help: 'Connected live subscribers by transport',
        labelNames: ['transport'],
        registers,
      }),
      overflows: new Counter({
        name: 'auditflow_streamer_overflows_total',
        help: 'Subscribers disconnected with an overflow message because they fell behind',
        labelNames: ['transport'],
        registers,
      }),
      catchUps: new Gauge({
        name: 'auditflow_streamer_catchups',
        help: 'Resuming subscribers whose history is being read',
        registers,
      }),
      lag: new Gauge({
        name: 'auditflow_streamer_live_lag_messages',
        help: 'Records of the clean topic the live feed has not read yet, per partition',
        labelNames: ['partition'],
        registers,
      }),
      undecodable: new Counter({
        name: 'auditflow_streamer_undecodable_total',
        help: 'Records of the clean topic that cannot be shown (undecodable or without a JSON form): skipped, positions still advance; the live feed dead-letters them',
        labelNames: ['feed'],
        registers,
      }),
      emitToSubscriber: new Histogram({
        name: 'auditflow_streamer_emit_to_subscriber_seconds',
        help: "From an event's receipt (SDK emit or gateway) to the live feed handing it to the subscribers",
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers,
      }),
      renderFailures: new Counter({
        name: 'auditflow_streamer_render_failures_total',
        help: 'Events skipped for one subscriber because its filter or frame threw (the others still got them)',
        labelNames: ['transport'],
        registers,
      }),
    };
    this.deadLetters = new DeadLetters(this.kafka, config.dlqTopic, deps);
  }

  get ready(): boolean {
    return this.running;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  async start(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    // The live feed starts at the end of every partition as it is now; nothing older is "live".
    for (const p of await this.endOffsets()) this.liveNext.set(p.partition, Number(p.high));
    this.live = await startReader({
      kafka: this.kafka,
      codec: this.codec,
      topic: this.config.topic,
      groupId: `auditflow-streamer-live-${this.config.instanceId}-${randomUUID()}`,
      start: this.liveNext,
      logger: this.deps.logger,
      onFatal: (err) => {
        this.running = false;
        this.deps.onFatal?.(err);
      },
      handlers: {
        onRecords: async (partition, offers, highWatermark) => {
          for (const [i, offer] of offers.entries()) {
            // One gzipped fetch can hold thousands of records: handing them out in slices,
            // with the event loop free in between, lets sockets drain so a subscriber that
            // keeps up never sees the whole burst queued at once. Never waits for any one.
            if (i > 0 && i % LIVE_SLICE === 0) await yieldToIo();
            if (offer.offset < (this.liveNext.get(partition) ?? 0)) continue;
            this.liveNext.set(partition, offer.offset + 1);
            fanOut(this.subscribers.keys(), (s) => s.offerLive(offer), this.dropBroken);
            const receivedAt = offer.event?.ingest?.received_at;
            if (receivedAt)
              this.metrics.emitToSubscriber.observe((Date.now() - Date.parse(receivedAt)) / 1000);
          }
          this.metrics.lag.set(
            { partition: String(partition) },
            Math.max(0, highWatermark - (this.liveNext.get(partition) ?? 0)),
          );
          await yieldToIo();
        },
        onAdvance: (partition, next) => {
          if (next <= (this.liveNext.get(partition) ?? 0)) return;
          this.liveNext.set(partition, next);
          fanOut(this.subscribers.keys(), (s) => s.advanceLive(partition, next), this.dropBroken);
        },
        onPermanentFailure: async (partition, message, reason, error) => {
          this.metrics.undecodable.inc({ feed: 'live' });
          await this.deadLetters.send(
            { topic: this.config.topic, partition },
            message,
            STREAMER_STAGE,
            reason,
            error,
          );
        },
      },
    });
    this.running = true;
    this.deps.logger.info(
      { topic: this.config.topic, start: Object.fromEntries(this.liveNext) },
      'live feed running',
    );
  }

  /** High watermarks, retried: a topic just created answers NOT_LEADER for a moment. */
  private async endOffsets(): Promise<{ partition: number; high: string }[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await (this.admin as Admin).fetchTopicOffsets(this.config.topic);
      } catch (err) {
        if (attempt >= 20) throw err;
        await sleep(250);
      }
    }
  }

  /**
   * Attaches a subscriber: live from now, or from a position/time with its history read first.
   * Between taking the live feed's position and joining the subscriber set there is no `await`,
   * so every record the live feed hands out afterwards reaches the subscriber.
   */
  async attach(options: {
    scope: Scope;
    since: Since | undefined;
    sink: Sink;
    framer: Framer;
    transport: string;
  }): Promise<Subscriber> {
    if (this.subscribers.size >= this.config.maxSubscribers)
      throw new CapacityError(`the streamer has ${this.config.maxSubscribers} subscribers already`);
    let start: Map<number, number>;
    if (options.since === undefined) start = new Map(this.liveNext);
    else if (options.since.kind === 'position') {
      // Partitions the position does not name are read from their beginning: no gap, ever.
      start = new Map([...this.liveNext.keys()].map((p) => [p, 0]));
      for (const [p, o] of options.since.position) start.set(p, o);
    } else {
      const offsets = await (this.admin as Admin).fetchTopicOffsetsByTimestamp(
        this.config.topic,
        options.since.at,
      );
      start = new Map(offsets.map((o) => [o.partition, Number(o.offset)]));
    }
    if (this.subscribers.size >= this.config.maxSubscribers)
      throw new CapacityError(`the streamer has ${this.config.maxSubscribers} subscribers already`);
    const handover = new Map(this.liveNext);
    const subscriber = new Subscriber({
      scope: options.scope,
      start,
      handover,
      sink: options.sink,
      framer: options.framer,
      maxBuffered: this.config.maxBuffered,
      maxBufferedBytes: this.config.maxBufferedBytes,
      onRenderFailure: (offer, err) => this.renderFailure(offer, err, options.transport),
      onOverflow: (position) => {
        this.metrics.overflows.inc({ transport: options.transport });
        this.deps.logger.warn(
          { transport: options.transport, position, sent: subscriber.sent },
          'subscriber fell behind: overflow',
        );
        this.detach(subscriber, options.transport);
      },
    });
    const pending = subscriber.catchingUpPartitions;
    if (pending.length > 0 && this.catchUps.size >= this.config.maxCatchUps)
      throw new CapacityError(`${this.config.maxCatchUps} subscribers are already resuming; retry shortly`);
    this.subscribers.set(subscriber, options.transport);
    this.metrics.subscribers.inc({ transport: options.transport });
    if (pending.length > 0) await this.catchUp(subscriber, start, pending);
    return subscriber;
  }

  detach(subscriber: Subscriber, transport: string): void {
    if (!this.subscribers.delete(subscriber)) return;
    subscriber.close();
    this.stopCatchUp.get(subscriber)?.();
    this.metrics.subscribers.dec({ transport });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all([...this.catchUps].map((c) => c.stop().catch(() => {})));
    await this.live?.stop();
    await this.deadLetters.stop();
    await this.admin?.disconnect();
  }

  /** A subscriber whose transport threw while being handed a record: it goes, the others stay. */
  private readonly dropBroken = (subscriber: Subscriber, err: unknown): void => {
    const transport = this.subscribers.get(subscriber) ?? 'unknown';
    this.deps.logger.warn({ transport, err: (err as Error).message }, 'subscriber transport failed: closed');
    this.detach(subscriber, transport);
  };

  /**
   * One subscriber's filter or frame threw for an event. It alone skips the event; the record
   * is dead-lettered once (not once per subscriber) so the miss is on record with its reason.
   */
  private renderFailure(offer: Offer, err: unknown, transport: string): void {
    this.metrics.renderFailures.inc({ transport });
    const key = `${offer.partition}:${offer.offset}`;
    if (this.renderFailed.has(key)) return;
    if (this.renderFailed.size >= RENDER_FAILURES_REMEMBERED) this.renderFailed.clear();
    this.renderFailed.add(key);
    const error = `${transport} subscriber: ${(err as Error)?.message ?? String(err)}`;
    this.deadLetters
      .send(
        { topic: this.config.topic, partition: offer.partition },
        offer.message,
        STREAMER_STAGE,
        'subscriber_render_failed',
        error,
      )
      .catch((sendErr: unknown) =>
        this.deps.logger.error(
          { err: (sendErr as Error).message, partition: offer.partition, offset: offer.offset },
          'could not dead-letter a record a subscriber failed on',
        ),
      );
  }

  /** Reads a resuming subscriber's history until every partition reached the live feed. */
  private async catchUp(
    subscriber: Subscriber,
    start: Map<number, number>,
    partitions: number[],
  ): Promise<void> {
    const topic = this.config.topic;
    let consumer: Reader | undefined;
    let finished = false;
    const release = (): void => {
      const c = consumer;
      if (!c || !this.catchUps.delete(c)) return;
      this.stopCatchUp.delete(subscriber);
      this.metrics.catchUps.set(this.catchUps.size);
      // Not awaited: disconnecting from inside eachBatch would wait for itself.
      setImmediate(() => void c.stop().catch(() => {}));
    };
    const check = (): void => {
      const left = subscriber.catchingUpPartitions;
      if (subscriber.isClosed || left.length === 0) {
        finished = true;
        release();
      } else if (consumer) {
        const done = partitions.filter((p) => !left.includes(p));
        if (done.length > 0) consumer.pause(done);
      }
    };
    consumer = await startReader({
      kafka: this.kafka,
      codec: this.codec,
      topic,
      groupId: `auditflow-streamer-resume-${this.config.instanceId}-${randomUUID()}`,
      start: new Map(partitions.map((p) => [p, start.get(p) ?? 0])),
      logger: this.deps.logger,
      handlers: {
        onRecords: async (_partition, offers, _high, heartbeat) => {
          for (const offer of offers) {
            // History is read only as fast as this subscriber takes it, record by record: a
            // batch can be larger than the subscriber's whole buffer.
            while (!subscriber.hasRoom) {
              await Promise.race([subscriber.waitForRoom(), sleep(HEARTBEAT_EVERY_MS)]);
              await heartbeat();
            }
            subscriber.offerCatchUp(offer);
          }
          check();
        },
        onAdvance: (partition, next) => {
          subscriber.advanceCatchUp(partition, next);
          check();
        },
        // The live feed (of this or another instance) dead-lettered it when it arrived.
        onPermanentFailure: () => this.metrics.undecodable.inc({ feed: 'catch_up' }),
      },
    });
    this.catchUps.add(consumer);
    this.stopCatchUp.set(subscriber, release);
    this.metrics.catchUps.set(this.catchUps.size);
    const idle = [...this.liveNext.keys()].filter((p) => !partitions.includes(p));
    if (idle.length > 0) consumer.pause(idle);
    check();
    if (finished) release();
  }
}
