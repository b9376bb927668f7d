import { type AuditEventJson, DEFAULT_STREAM_BUFFER_BYTES } from '@auditflow/schemas';
import type { KafkaMessage } from 'kafkajs';
import type { Framer } from './frames.ts';
import { encodePosition } from './position.ts';
import { inScope, type Scope } from './tokens.ts';

/** One record of the clean topic as the feeds hand it out; `event` is null when it did not decode. */
export interface Offer {
  readonly partition: number;
  readonly offset: number;
  readonly event: AuditEventJson | null;
  readonly json: string | null;
  /** The record as read (no copy), for a DLQ record if a subscriber cannot be given it. */
  readonly message: KafkaMessage;
}

/** The transport under a subscriber (an SSE response or a WebSocket). */
export interface Sink {
  /** Hands a frame to the transport; false when its own buffer is full (wait for `onDrain`). */
  write(frame: string): boolean;
  onDrain(listener: () => void): void;
  /** Ends the connection after what was written (used after the overflow frame). */
  close(): void;
}

export interface SubscriberOptions {
  readonly scope: Scope;
  /** Next offset per partition the subscriber has not been given: where it starts. */
  readonly start: ReadonlyMap<number, number>;
  /**
   * Partitions that must first be read from `start` by a catch-up reader, each with the offset
   * from which the live feed takes over (the live feed's position when the subscriber attached).
   */
  readonly handover: ReadonlyMap<number, number>;
  readonly sink: Sink;
  readonly framer: Framer;
  /** Frames queued beyond the transport's buffer before the subscriber counts as fallen behind. */
  readonly maxBuffered: number;
  /**
   * Bytes (UTF-8) of those frames, a bound beside the frame count: a thousand 1 MB events are a
   * gigabyte. Default DEFAULT_MAX_BUFFERED_BYTES.
   */
  readonly maxBufferedBytes?: number;
  readonly onOverflow?: (position: string) => void;
  /**
   * This subscriber's filter or frame threw for one event: the event is skipped for it alone
   * (its cursor moves on, so a resume does not meet it again) and reported here.
   */
  readonly onRenderFailure?: (offer: Offer, err: unknown) => void;
}

/** What one subscriber may queue by default (L3, R3): 1000 frames of 8 KB. */
export const DEFAULT_MAX_BUFFERED_BYTES = DEFAULT_STREAM_BUFFER_BYTES;

/**
 * Delivery state of one subscriber (L2, L3). Every record offered, matching or not, moves the
 * per-partition cursor; a record is delivered only if its offset is at or past the cursor, so
 * the catch-up reader and the live feed can overlap without a repeat, and the catch-up reader
 * hands a partition to the live feed only when it reached the live feed's start there, so
 * there is no gap. Frames that the transport cannot take queue up to `maxBuffered` frames and
 * `maxBufferedBytes` bytes; beyond
 * that the subscriber gets an overflow frame with the position of the last frame it was given,
 * and is closed. Nothing here ever blocks the caller.
 */
export class Subscriber {
  private readonly cursor: Map<number, number>;
  private readonly catchingUp: Map<number, number>;
  private readonly held = new Map<number, Offer[]>();
  private heldCount = 0;
  private heldBytes = 0;
  private readonly queue: { frame: string; position: string; bytes: number }[] = [];
  private queuedBytes = 0;
  private readonly maxBytes: number;
  private blocked = false;
  private lastGiven: string;
  private closed = false;
  private roomWaiters: (() => void)[] = [];
  sent = 0;
  lastWriteAt = Date.now();

  constructor(private readonly options: SubscriberOptions) {
    this.cursor = new Map(options.start);
    this.catchingUp = new Map([...options.handover].filter(([p, h]) => (options.start.get(p) ?? 0) < h));
    this.lastGiven = encodePosition(this.cursor);
    this.maxBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    options.sink.onDrain(() => {
      this.blocked = false;
      this.pump();
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** True while some partition still waits for its catch-up reader. */
  get catchingUpPartitions(): number[] {
    return [...this.catchingUp.keys()];
  }

  get buffered(): number {
    return this.queue.length + this.heldCount;
  }

  /** Bytes of the frames and held records this subscriber keeps in memory. */
  get bufferedBytes(): number {
    return this.queuedBytes + this.heldBytes;
  }

  /** Where a reconnect must resume: the position of the last frame handed to the transport. */
  get resumePosition(): string {
    return this.queue.length === 0 ? encodePosition(this.cursor) : this.lastGiven;
  }

  /** A record from the live feed. */
  offerLive(offer: Offer): void {
    if (this.closed) return;
    if (this.catchingUp.has(offer.partition)) {
      const list = this.held.get(offer.partition) ?? [];
      if (list.length === 0) this.held.set(offer.partition, list);
      list.push(offer);
      this.heldCount++;
      this.heldBytes += offerBytes(offer);
      if (this.heldCount > this.options.maxBuffered * 4 || this.heldBytes > this.maxBytes * 4)
        this.overflow();
      return;
    }
    this.accept(offer);
  }

  /** The live feed passed `next` on a partition (records the subscriber does not see: markers). */
  advanceLive(partition: number, next: number): void {
    if (this.closed || this.catchingUp.has(partition)) return;
    this.advance(partition, next);
  }

  /** A record from this subscriber's catch-up reader. */
  offerCatchUp(offer: Offer): void {
    const handover = this.catchingUp.get(offer.partition);
    if (this.closed || handover === undefined) return;
    if (offer.offset >= handover) {
      this.advance(offer.partition, handover);
      this.handOver(offer.partition);
      return;
    }
    this.accept(offer);
    if ((this.cursor.get(offer.partition) ?? 0) >= handover) this.handOver(offer.partition);
  }

  advanceCatchUp(partition: number, next: number): void {
    const handover = this.catchingUp.get(partition);
    if (this.closed || handover === undefined) return;
    this.advance(partition, Math.min(next, handover));
    if ((this.cursor.get(partition) ?? 0) >= handover) this.handOver(partition);
  }

  /** False while the queue is half full or more (frames or bytes): catch-up readers stop offering then. */
  get hasRoom(): boolean {
    return this.closed || this.belowHalf();
  }

  private belowHalf(): boolean {
    return this.queue.length < this.options.maxBuffered / 2 && this.queuedBytes < this.maxBytes / 2;
  }

  /** Resolves when the queue has room again (catch-up readers wait here instead of overflowing). */
  waitForRoom(): Promise<void> {
    if (this.hasRoom) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Writes a heartbeat when nothing was written for `idleMs` and the transport is not backed up. */
  heartbeat(idleMs: number, now = Date.now()): void {
    if (this.closed || this.blocked || this.queue.length > 0 || now - this.lastWriteAt < idleMs) return;
    this.lastWriteAt = now;
    if (!this.options.sink.write(this.options.framer.heartbeat())) this.blocked = true;
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.held.clear();
    this.heldCount = 0;
    this.heldBytes = 0;
    this.releaseWaiters();
  }

  private handOver(partition: number): void {
    this.catchingUp.delete(partition);
    const held = this.held.get(partition) ?? [];
    this.held.delete(partition);
    this.heldCount -= held.length;
    for (const offer of held) this.heldBytes -= offerBytes(offer);
    for (const offer of held) this.accept(offer);
  }

  private advance(partition: number, next: number): void {
    if (next > (this.cursor.get(partition) ?? 0)) this.cursor.set(partition, next);
  }

  private accept(offer: Offer): void {
    if (this.closed) return;
    if (offer.offset < (this.cursor.get(offer.partition) ?? 0)) return; // already given
    this.cursor.set(offer.partition, offer.offset + 1);
    if (offer.event === null || offer.json === null) return;
    let frame: string;
    let position: string;
    try {
      if (!inScope(this.options.scope, offer.event)) return;
      position = encodePosition(this.cursor);
      frame = this.options.framer.event(offer.json, position);
    } catch (err) {
      this.options.onRenderFailure?.(offer, err);
      return;
    }
    const bytes = Buffer.byteLength(frame);
    this.queue.push({ frame, position, bytes });
    this.queuedBytes += bytes;
    // Written at once when the transport takes it: only frames it could not take count.
    this.pump();
    if (this.queue.length > this.options.maxBuffered || this.queuedBytes > this.maxBytes) this.overflow();
  }

  private pump(): void {
    while (!this.blocked && !this.closed && this.queue.length > 0) {
      const item = this.queue.shift() as { frame: string; position: string; bytes: number };
      this.queuedBytes -= item.bytes;
      this.lastGiven = item.position;
      this.sent++;
      this.lastWriteAt = Date.now();
      if (!this.options.sink.write(item.frame)) this.blocked = true;
    }
    if (this.belowHalf()) this.releaseWaiters();
  }

  private overflow(): void {
    const position = this.lastGiven;
    this.queue.length = 0;
    this.queuedBytes = 0;
    // Not resumePosition: it would skip what sits in the queue we are dropping.
    this.options.sink.write(this.options.framer.overflow(position));
    this.close();
    this.options.onOverflow?.(position);
    this.options.sink.close();
  }

  private releaseWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }
}

/** A held record's size: its JSON form (the frame made of it later is that and a few bytes). */
const offerBytes = (offer: Offer): number => (offer.json === null ? 0 : offer.json.length);

/**
 * Hands one thing to every subscriber; one that throws (its transport broke under it) is
 * reported to `onBroken` and the rest still get theirs. Nothing one subscriber does can stop
 * the feed for the others.
 */
export function fanOut(
  subscribers: Iterable<Subscriber>,
  give: (subscriber: Subscriber) => void,
  onBroken: (subscriber: Subscriber, err: unknown) => void,
): void {
  for (const subscriber of subscribers) {
    try {
      give(subscriber);
    } catch (err) {
      onBroken(subscriber, err);
    }
  }
}
