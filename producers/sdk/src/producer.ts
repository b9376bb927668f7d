import { setTimeout as sleep } from 'node:timers/promises';
import { WireCodec } from '@auditflow/kafka';
import {
  AUDIT_EVENT_SCHEMA_VERSION,
  type AuditEventInput,
  auditEventType,
  decodeAnyVersion,
  HEADERS,
} from '@auditflow/schemas';
import { CompressionTypes, Kafka, type LogEntry, logLevel, type Message, type Producer } from 'kafkajs';
import { type Logger, pino } from 'pino';
import type { Registry } from 'prom-client';
import { v7 as uuidv7 } from 'uuid';
import { type AuditProducerConfig, type ResolvedProducerConfig, resolveProducerConfig } from './config.ts';
import { formatTraceparent } from './correlation.ts';
import { ProducerMetrics } from './metrics.ts';
import { SequenceWaiters, whenRoom, within } from './progress.ts';
import { brokerRefusal } from './refusal.ts';
import { Spool, type SpooledRecord, SpoolFullError } from './spool.ts';
import { type EmitOptions, EventStamper } from './stamp.ts';

const COMPRESSION = {
  zstd: CompressionTypes.ZSTD, // its codec comes with @auditflow/kafka
  gzip: CompressionTypes.GZIP,
  none: CompressionTypes.None,
} as const;

export interface EmitReceipt {
  readonly id: string;
  readonly sequence: number;
}

export class ProducerClosedError extends Error {
  override readonly name = 'ProducerClosedError';
  readonly retriable = false;
}

export class FlushTimeoutError extends Error {
  override readonly name = 'FlushTimeoutError';
  /** The events are safe in the spool; a later flush or the next start delivers them. */
  readonly retriable = true;
}

/** A spooled record on its way; `undeliverable` says why it can never be sent (it is set aside). */
type PendingRecord = SpooledRecord & { readonly undeliverable?: string };

export interface AuditProducerOptions {
  readonly logger?: Logger;
  /** Register the metrics here (e.g. prom-client's default `register`). */
  readonly metricsRegistry?: Registry;
}

/**
 * Emits audit events to Kafka without blocking the caller (P1, P2). emit() validates, encodes
 * and appends to the on-disk spool, then returns; a background loop sends batches to Kafka
 * (idempotent, acks=all) in order and trims the spool as Kafka acknowledges. While Kafka or the
 * registry is away, events wait in the spool and go out in order when they return, also after
 * a restart. Delivery guarantee: at least once, deduplicable by (producer id, sequence) and id.
 */
export class AuditProducer {
  readonly producerId: string;
  readonly metrics: ProducerMetrics;
  private readonly config: ResolvedProducerConfig;
  private readonly log: Logger;
  private readonly spool: Spool;
  private readonly kafka: Kafka;
  /** The platform's wire codec: registers the schema and gives the Confluent header. */
  private readonly codec: WireCodec;
  private readonly stamper: EventStamper;
  private queue: PendingRecord[] = [];
  /** Send one record at a time up to this sequence: a batch held a record the broker refuses. */
  private isolateThrough = 0;
  private head = 0;
  private nextSequence: number;
  private ackedSequence: number;
  private readonly waiters = new SequenceWaiters();
  private roomWaiters: (() => void)[] = [];
  private producer: Producer | undefined;
  private schemaHeader: Buffer | undefined;
  private pumping: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;
  private healthy = false;
  private failureLogged = 0;

  constructor(config: AuditProducerConfig, options: AuditProducerOptions = {}) {
    this.config = resolveProducerConfig(config);
    this.log = options.logger ?? pino({ name: 'auditflow-producer' });
    this.metrics = new ProducerMetrics(options.metricsRegistry, {
      depth: () => this.depth,
      bytes: () => this.spool.bytes,
    });
    this.spool = new Spool({ dir: this.config.spool.dir, maxBytes: this.config.spool.maxBytes });
    const recovered = this.spool.recover();
    this.producerId = recovered.producerId ?? uuidv7();
    this.spool.setProducerId(this.producerId);
    this.stamper = new EventStamper(this.config, this.producerId, this.metrics);
    this.queue = recovered.pending.map((record) => this.current(record));
    this.nextSequence = recovered.lastSequence + 1;
    this.ackedSequence = recovered.ackedSequence;
    if (recovered.corruptFrames > 0) {
      this.metrics.spoolCorruptFrames.inc(recovered.corruptFrames);
      this.log.warn({ corruptFrames: recovered.corruptFrames }, 'skipped torn spool frames left by a crash');
    }
    if (recovered.pending.length > 0) {
      this.log.info({ pending: recovered.pending.length }, 'replaying spooled audit events');
    }
    const log = this.log;
    this.kafka = new Kafka({
      clientId: this.config.clientId,
      brokers: this.config.brokers,
      // Our loop owns retries (events wait in the spool); kafkajs only retries briefly.
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
      connectionTimeout: 2000,
      ...this.config.security,
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log: entry }: LogEntry) =>
          log.debug({ kafkajsLevel: level, message: entry.message }, 'kafkajs'),
    });
    this.codec = new WireCodec(this.config.schemaRegistryUrl);
    if (this.queue.length > 0) this.schedule();
  }

  /**
   * Validates, stamps (id, time, producer id, sequence, correlation) and spools one event, then
   * returns. Throws EventValidationError for a malformed event and SpoolFullError when the spool
   * is full; never for transport trouble.
   */
  emit(event: AuditEventInput, options: EmitOptions = {}): EmitReceipt {
    const started = performance.now();
    if (this.closed) throw new ProducerClosedError('audit producer is closed');
    // One event: no arrays on the hot path (emitAll is the batch form).
    const prepared = this.prepare(event, this.nextSequence, options);
    let size: number;
    try {
      size = this.spool.append(prepared.sequence, prepared.meta, prepared.body);
    } catch (err) {
      if (err instanceof SpoolFullError) this.metrics.spoolRejected.inc();
      throw err;
    }
    this.nextSequence += 1;
    this.enqueue(prepared, size);
    this.schedule();
    this.metrics.emitLatency.observe((performance.now() - started) / 1000);
    return { id: prepared.record.id, sequence: prepared.sequence };
  }

  /**
   * emit() for several events, all or nothing: each is validated and encoded first, and when the
   * spool cannot take them all none is spooled (SpoolFullError), so a retry duplicates nothing.
   */
  emitAll(events: readonly AuditEventInput[], options: EmitOptions = {}): EmitReceipt[] {
    const started = performance.now();
    if (this.closed) throw new ProducerClosedError('audit producer is closed');
    const prepared = events.map((event, i) => this.prepare(event, this.nextSequence + i, options));
    let sizes: number[];
    try {
      sizes = this.spool.appendAll(prepared);
    } catch (err) {
      if (err instanceof SpoolFullError) this.metrics.spoolRejected.inc(prepared.length);
      throw err;
    }
    this.nextSequence += prepared.length;
    for (const [i, p] of prepared.entries()) this.enqueue(p, sizes[i] as number);
    this.schedule();
    this.metrics.emitLatency.observe((performance.now() - started) / 1000);
    return prepared.map(({ record, sequence }) => ({ id: record.id, sequence }));
  }

  /** A spooled event joins the send queue. */
  private enqueue(prepared: ReturnType<AuditProducer['prepare']>, size: number): void {
    const { sequence, meta, body, record } = prepared;
    this.queue.push({ sequence, ...meta, body, size });
    this.metrics.entries.inc({ action: record.action, outcome: record.outcome });
  }

  /** Stamps, validates and encodes one event for the spool; throws EventValidationError. */
  private prepare(event: AuditEventInput, sequence: number, options: EmitOptions) {
    const record = this.stamper.build(event, sequence, options);
    const body = this.stamper.encode(record);
    const meta = {
      key: record.correlation_id ?? record.id,
      eventId: record.id,
      traceparent:
        record.trace_id && record.span_id ? formatTraceparent(record.trace_id, record.span_id) : '',
    };
    return { sequence, meta, body, record };
  }

  /** emit(), but with spool.onFull='block' it waits for room instead of throwing. */
  async emitAsync(event: AuditEventInput, options: EmitOptions = {}): Promise<EmitReceipt> {
    return whenRoom(
      () => this.emit(event, options),
      () => this.room(),
    );
  }

  /** A wait for room in the spool when `spool.onFull` is 'block'; undefined otherwise. */
  private room(): Promise<void> | undefined {
    if (this.config.spool.onFull !== 'block') return undefined;
    return new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Resolves once the event is durable: acknowledged by Kafka, or fsynced to the spool
   * (whichever comes first). The gateway answers 202 only after this.
   */
  async emitDurable(event: AuditEventInput, options: EmitOptions = {}): Promise<EmitReceipt> {
    const receipt = await this.emitAsync(event, options);
    await Promise.race([this.delivered(receipt.sequence), this.spool.sync()]);
    return receipt;
  }

  /**
   * emitDurable() for a batch, all or nothing (emitAll): resolves once every event is durable.
   * With spool.onFull='block' it waits for room for the whole batch.
   */
  async emitAllDurable(
    events: readonly AuditEventInput[],
    options: EmitOptions = {},
  ): Promise<EmitReceipt[]> {
    const receipts = await whenRoom(
      () => this.emitAll(events, options),
      () => this.room(),
    );
    const last = receipts.at(-1);
    if (last) await Promise.race([this.delivered(last.sequence), this.spool.sync()]);
    return receipts;
  }

  /** Resolves when every event emitted so far is acknowledged by Kafka. */
  async flush(timeoutMs = 30_000): Promise<void> {
    const target = this.nextSequence - 1;
    if (this.ackedSequence >= target) return;
    const reached = await within(this.delivered(target), timeoutMs);
    if (!reached) {
      throw new FlushTimeoutError(
        `Kafka has not acknowledged ${target - this.ackedSequence} events within ${timeoutMs} ms; they stay spooled`,
      );
    }
  }

  /** Stops accepting events, delivers what it can within the timeout, and releases the spool. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush(timeoutMs);
    } catch (err) {
      if (!(err instanceof FlushTimeoutError)) throw err;
      this.log.warn(
        { pending: this.depth },
        'closing with events still spooled; they are sent on the next start',
      );
    }
    this.closed = true;
    await this.pumping;
    await this.spool.sync();
    this.spool.close();
    await this.producer?.disconnect().catch(() => {});
  }

  /** Events spooled and not yet acknowledged. */
  get depth(): number {
    return this.queue.length - this.head;
  }

  /** Whether the last delivery attempt reached Kafka. */
  get connected(): boolean {
    return this.healthy;
  }

  /**
   * A recovered record as the current schema writes it: a spool written before an upgrade holds
   * older bodies, which would not decode under the current schema id. Unreadable ones are marked.
   */
  private current(record: SpooledRecord): PendingRecord {
    const decoded = decodeAnyVersion(record.body);
    if (!decoded) return { ...record, undeliverable: 'undecodable' };
    if (decoded.version === AUDIT_EVENT_SCHEMA_VERSION) return record;
    return { ...record, body: auditEventType.toBuffer(decoded.event) };
  }

  private delivered(sequence: number): Promise<void> {
    return this.waiters.until(sequence, this.ackedSequence);
  }

  private schedule(): void {
    if (this.scheduled || this.pumping) return;
    this.scheduled = true;
    // setImmediate batches every event emitted in the same turn of the event loop.
    setImmediate(() => {
      this.scheduled = false;
      this.pumping ??= this.pump().finally(() => {
        this.pumping = undefined;
        if (this.depth > 0 && !this.closed) this.schedule();
      });
    });
  }

  private async pump(): Promise<void> {
    let backoff = this.config.retry.initialMs;
    while (this.depth > 0) {
      const batch = this.nextBatch();
      const first = batch[0] as PendingRecord;
      if (first.undeliverable) {
        this.setAside(first, first.undeliverable);
        continue;
      }
      try {
        const header = await this.ready();
        await (this.producer as Producer).send({
          topic: this.config.topic,
          acks: -1,
          compression: COMPRESSION[this.config.compression],
          messages: batch.map((r) => this.message(header, r)),
        });
        this.acknowledge(batch);
        backoff = this.config.retry.initialMs;
        if (!this.healthy) this.log.info('delivering audit events to Kafka');
        this.healthy = true;
      } catch (err) {
        const refusal = brokerRefusal(err);
        if (refusal) {
          // The broker refuses a record itself: find it by sending one at a time, set it
          // aside, and go on with the rest (a fresh producer, so no idempotence state lingers).
          await this.resetProducer();
          if (batch.length > 1) this.isolateThrough = (batch.at(-1) as PendingRecord).sequence;
          else this.setAside(first, refusal);
          continue;
        }
        this.metrics.sinkErrors.inc({ destination: 'kafka' });
        if (this.healthy || Date.now() - this.failureLogged > 30_000) {
          this.failureLogged = Date.now();
          this.log.warn(
            { err: (err as Error).message, spooled: this.depth },
            'Kafka or the registry is unreachable; spooling',
          );
        }
        this.healthy = false;
        await this.resetProducer();
        if (this.closed) return;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, this.config.retry.maxMs);
      }
    }
  }

  /** The records to send next: one while isolating a refused record, never past an undeliverable one. */
  private nextBatch(): PendingRecord[] {
    const head = this.queue[this.head] as PendingRecord;
    const size = head.undeliverable || head.sequence <= this.isolateThrough ? 1 : this.config.batch.maxEvents;
    const batch = this.queue.slice(this.head, this.head + size);
    const cut = batch.findIndex((r) => r.undeliverable);
    return cut > 0 ? batch.slice(0, cut) : batch;
  }

  /** Keeps a record that can never be delivered beside the spool (with its reason) and moves on. */
  private setAside(record: PendingRecord, reason: string): void {
    this.spool.setAside(record, reason);
    this.metrics.setAside.inc({ reason });
    this.log.error(
      { eventId: record.eventId, sequence: record.sequence, reason },
      'audit event can never be delivered; set aside in the spool directory',
    );
    this.acknowledge([record], false);
  }

  private message(header: Buffer, record: SpooledRecord): Message {
    const headers: Record<string, string> = {
      [HEADERS.eventId]: record.eventId,
      [HEADERS.producerId]: this.producerId,
      [HEADERS.sequence]: String(record.sequence),
    };
    if (record.traceparent) headers.traceparent = record.traceparent;
    return { key: record.key, value: Buffer.concat([header, record.body]), headers };
  }

  /** Connects and registers the schema (once); returns the 5-byte Confluent header. */
  private async ready(): Promise<Buffer> {
    this.schemaHeader ??= await this.codec.header(this.config.topic);
    if (!this.producer) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      this.producer = producer;
    }
    return this.schemaHeader;
  }

  private async resetProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch(() => {});
  }

  /** Marks a batch at the head as done: delivered, or (`delivered` false) set aside. */
  private acknowledge(batch: readonly SpooledRecord[], delivered = true): void {
    const last = batch.at(-1);
    if (!last) return;
    this.head += batch.length;
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.ackedSequence = last.sequence;
    this.spool.ack(last.sequence, this.producerId);
    if (delivered) this.metrics.delivered.inc(batch.length);
    this.waiters.release(last.sequence);
    for (const wake of this.roomWaiters.splice(0)) wake();
  }
}
