import type { Writable } from 'node:stream';
import { AuditflowError, ConfigError } from '@auditflow/kafka';
import { type SanitizerContext, sanitizeEvent, sanitizerContextFromEnv } from '@auditflow/redaction';
import { type AuditEvent, type AuditEventInput, toJsonForm } from '@auditflow/schemas';
import { type Logger, pino } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import {
  type LocalProducerConfig,
  type ResolvedLocalProducerConfig,
  resolveLocalProducerConfig,
} from './config.ts';
import { ProducerMetrics } from './metrics.ts';
import {
  type AuditProducerOptions,
  type EmitReceipt,
  FlushTimeoutError,
  ProducerClosedError,
} from './producer.ts';
import { SequenceWaiters, whenRoom, within } from './progress.ts';
import { type LineSink, RotatingFileSink, StdoutSink } from './sinks.ts';
import { SpoolFullError } from './spool.ts';
import { type EmitOptions, EventStamper } from './stamp.ts';

/** Lines accepted and not yet written beyond which emit() refuses (emitAsync waits). */
export const LOCAL_SINK_MAX_BUFFERED_BYTES = 64 * 2 ** 20;

/** An event the redaction core could not process: it is not written (fail closed, SPEC S4). */
export class SanitizeFailedError extends AuditflowError {
  override readonly name = 'SanitizeFailedError';
}

export interface LocalProducerOptions extends AuditProducerOptions {
  /** The stdout sink's stream (default `process.stdout`). */
  readonly stdout?: Writable;
}

/**
 * emit() to a destination in this process, for services without Kafka yet and for development:
 * stdout (one JSON line per event) or a rotating JSONL file. Each event gets the SDK's filling
 * and validation (id, time, producer id and sequence, correlation, bounds, size), then runs
 * through the sanitizer's core (`@auditflow/redaction`: secrets redacted, PII per policy) before
 * it leaves the process, and is written as its JSON form (SPEC Interfaces), `ingest.via = 'sdk'`.
 * No spool, registry or Kafka; the producer id is new per instance and the sequence starts at 1.
 */
export class LocalAuditProducer {
  readonly producerId: string;
  readonly metrics: ProducerMetrics;
  private readonly config: ResolvedLocalProducerConfig;
  private readonly log: Logger;
  private readonly redaction: SanitizerContext;
  private readonly stamper: EventStamper;
  private readonly sink: LineSink;
  private nextSequence = 1;
  /** Every line up to this sequence has been written or has failed. */
  private doneThrough = 0;
  private readonly waiters = new SequenceWaiters();
  private closed = false;
  private healthy = true;
  /** The last sequence whose line failed to be written (0: none). */
  private lastFailed = 0;
  private failureLogged = 0;

  constructor(config: LocalProducerConfig, options: LocalProducerOptions = {}) {
    this.config = resolveLocalProducerConfig(config);
    // stdout carries the events: the SDK's own log lines go to stderr.
    this.log = options.logger ?? pino({ name: 'auditflow-producer' }, pino.destination(2));
    this.redaction = this.config.redaction ?? redactionFromEnv();
    this.producerId = uuidv7();
    this.metrics = new ProducerMetrics(options.metricsRegistry, {
      depth: () => this.depth,
      bytes: () => this.sink.bufferedBytes,
    });
    this.stamper = new EventStamper(this.config, this.producerId, this.metrics);
    // The stream's own error is logged; the lines it fails are counted one by one (write callbacks).
    const onError = (err: Error): void => this.unhealthy(err);
    const sink = this.config.sink;
    this.sink =
      sink.kind === 'stdout'
        ? new StdoutSink(options.stdout ?? process.stdout, onError)
        : new RotatingFileSink(sink, this.log, onError);
    this.log.info(
      { sink: this.sink.destination, ...(sink.kind === 'file' ? { file: sink.path } : {}) },
      'audit events go to a local sink, sanitised in this process (no Kafka)',
    );
  }

  /** Validates, stamps, sanitises and writes one event; returns once it is handed to the sink. */
  emit(event: AuditEventInput, options: EmitOptions = {}): EmitReceipt {
    const started = performance.now();
    if (this.closed) throw new ProducerClosedError('audit producer is closed');
    const { line, record } = this.prepare(event, this.nextSequence, options);
    this.room(line.length);
    const receipt = this.write(line, record);
    this.metrics.emitLatency.observe((performance.now() - started) / 1000);
    return receipt;
  }

  /** emit() for several events, all or nothing: all are prepared (and may be refused) first. */
  emitAll(events: readonly AuditEventInput[], options: EmitOptions = {}): EmitReceipt[] {
    const started = performance.now();
    if (this.closed) throw new ProducerClosedError('audit producer is closed');
    const prepared = events.map((event, i) => this.prepare(event, this.nextSequence + i, options));
    this.room(
      prepared.reduce((sum, p) => sum + p.line.length, 0),
      prepared.length,
    );
    const receipts = prepared.map(({ line, record }) => this.write(line, record));
    this.metrics.emitLatency.observe((performance.now() - started) / 1000);
    return receipts;
  }

  /** emit(), waiting for the sink to take lines when its buffer is full. */
  async emitAsync(event: AuditEventInput, options: EmitOptions = {}): Promise<EmitReceipt> {
    return whenRoom(
      () => this.emit(event, options),
      () => this.sink.drained(),
    );
  }

  /** Resolves once the line is written and, for the file sink, fsynced. */
  async emitDurable(event: AuditEventInput, options: EmitOptions = {}): Promise<EmitReceipt> {
    const receipt = await this.emitAsync(event, options);
    await this.durable(receipt.sequence, receipt.sequence);
    return receipt;
  }

  /** emitAll(), durable: resolves once every line is written and fsynced. */
  async emitAllDurable(
    events: readonly AuditEventInput[],
    options: EmitOptions = {},
  ): Promise<EmitReceipt[]> {
    const receipts = await whenRoom(
      () => this.emitAll(events, options),
      () => this.sink.drained(),
    );
    const [first, last] = [receipts[0], receipts.at(-1)];
    if (first && last) await this.durable(first.sequence, last.sequence);
    return receipts;
  }

  /** Resolves when every event emitted so far has been written (or has failed, and was counted). */
  async flush(timeoutMs = 30_000): Promise<void> {
    const target = this.nextSequence - 1;
    if (this.doneThrough >= target) return;
    const reached = await within(this.written(target), timeoutMs);
    if (!reached) {
      throw new FlushTimeoutError(
        `the ${this.sink.destination} sink has not taken ${target - this.doneThrough} events within ${timeoutMs} ms`,
      );
    }
  }

  /** Stops accepting events, writes what is buffered, fsyncs the file and releases it. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush(timeoutMs);
    } catch (err) {
      if (!(err instanceof FlushTimeoutError)) throw err;
      this.log.warn({ pending: this.depth }, 'closing the audit sink with lines still unwritten');
    }
    await this.sink.close();
  }

  /** Lines handed to the sink and not yet written. */
  get depth(): number {
    return this.nextSequence - 1 - this.doneThrough;
  }

  /** Whether the last write to the sink succeeded. */
  get connected(): boolean {
    return this.healthy;
  }

  /** Stamped, validated (size included), sanitised and serialised; nothing is written yet. */
  private prepare(event: AuditEventInput, sequence: number, options: EmitOptions) {
    const stamped = this.stamper.build(event, sequence, options);
    this.stamper.encode(stamped);
    let record: AuditEvent;
    try {
      record = sanitizeEvent(stamped, this.redaction);
    } catch (err) {
      // Fail closed: an event the core cannot sanitise never reaches the sink. The message names
      // paths and limits, never values.
      this.metrics.sinkErrors.inc({ destination: this.sink.destination });
      throw new SanitizeFailedError(
        `audit event ${stamped.id} not written: it could not be sanitised (${(err as Error).message})`,
      );
    }
    return { line: `${JSON.stringify(toJsonForm(record))}\n`, record };
  }

  /** Refuses (SpoolFullError, counted) when the sink's buffer is over its bound. */
  private room(bytes: number, events = 1): void {
    if (this.sink.bufferedBytes + bytes <= LOCAL_SINK_MAX_BUFFERED_BYTES || this.sink.bufferedBytes === 0)
      return;
    this.metrics.spoolRejected.inc(events);
    throw new SpoolFullError(
      `the ${this.sink.destination} sink holds ${this.sink.bufferedBytes} unwritten bytes (limit ${LOCAL_SINK_MAX_BUFFERED_BYTES})`,
    );
  }

  private write(line: string, record: AuditEvent): EmitReceipt {
    const sequence = this.nextSequence;
    this.nextSequence += 1;
    this.metrics.entries.inc({ action: record.action, outcome: record.outcome });
    this.sink.write(line, (err) => {
      if (err) {
        this.lastFailed = sequence;
        this.metrics.sinkErrors.inc({ destination: this.sink.destination });
        this.unhealthy(err);
      } else {
        this.metrics.delivered.inc();
        this.healthy = true;
      }
      this.settled(sequence);
    });
    return { id: record.id, sequence };
  }

  /** A write failed: logged at most every 30 s (the error, never a line). */
  private unhealthy(err: Error): void {
    if (this.healthy || Date.now() - this.failureLogged > 30_000) {
      this.failureLogged = Date.now();
      this.log.error({ err: err.message, sink: this.sink.destination }, 'audit sink write failed');
    }
    this.healthy = false;
  }

  /** Write callbacks come in order: everything up to `sequence` is done. */
  private settled(sequence: number): void {
    this.doneThrough = sequence;
    this.waiters.release(sequence);
  }

  private written(sequence: number): Promise<void> {
    return this.waiters.until(sequence, this.doneThrough);
  }

  /** Lines `first`..`last` written and synced; rejects when one of them failed (a later failure may also reject: retry). */
  private async durable(first: number, last: number): Promise<void> {
    await this.written(last);
    if (this.lastFailed >= first) {
      throw new AuditflowError(`the ${this.sink.destination} sink failed to write events ${first}..${last}`);
    }
    await this.sink.sync();
  }
}

/** The sanitizer's settings from the environment, as one ConfigError naming the setting. */
function redactionFromEnv(): SanitizerContext {
  try {
    return sanitizerContextFromEnv(process.env);
  } catch (err) {
    throw new ConfigError(
      `a local audit sink sanitises events in this process and needs the sanitizer's settings: ${(err as Error).message}`,
    );
  }
}
