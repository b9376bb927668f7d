import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fsync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * A bounded, append-only, crash-safe spool of encoded events (the SDK's write-ahead log).
 *
 * Every emitted event is appended here before it is sent, so neither an unreachable broker nor a
 * killed process loses it; acknowledged events are trimmed by whole segments. A frame is
 * `u32 length | u32 crc32(payload) | payload`; a torn or corrupt frame (a crash mid-write) fails
 * its length or checksum, is counted and skipped, and never replayed as garbage.
 *
 * Payload: `u32 seq_hi | u32 seq_lo | u16 len | key | u16 len | event id | u16 len | traceparent | body`.
 */

export interface SpooledRecord {
  readonly sequence: number;
  readonly key: string;
  readonly eventId: string;
  /** W3C traceparent, or '' when the event has no trace context. */
  readonly traceparent: string;
  /** The Avro body without the Confluent header (the schema id is added at send time). */
  readonly body: Buffer;
  /** Bytes this record occupies on disk. */
  readonly size: number;
}

export interface SpoolRecovery {
  readonly producerId: string | undefined;
  readonly pending: SpooledRecord[];
  readonly lastSequence: number;
  readonly ackedSequence: number;
  readonly corruptFrames: number;
}

/** Another live process owns the spool directory: two writers would break the sequence. */
export class SpoolLockedError extends Error {
  override readonly name = 'SpoolLockedError';
  readonly retriable = true;
}

export class SpoolFullError extends Error {
  override readonly name = 'SpoolFullError';
  readonly retriable = true;
}

const FRAME_HEADER = 8;
/** Records that can never be delivered, one JSON line each, beside the segments. */
export const SET_ASIDE_FILE = 'set-aside.ndjson';
const SEGMENT_PREFIX = 'segment-';
/** Below this a segment roll costs more than the space it gives back. */
const MIN_SEGMENT_BYTES = 4096;

interface Segment {
  readonly file: string;
  /** Highest sequence in the segment (0 when empty). */
  lastSequence: number;
  bytes: number;
}

/**
 * An open segment file. A rolled segment stays open until its last writes are fsynced: an event
 * appended just before a roll may not be on disk yet, and sync() must still cover it.
 */
interface Handle {
  readonly fd: number;
  /** Written since its last fsync. */
  dirty: boolean;
  /** No longer appended to; closed once clean. */
  retired: boolean;
}

const syncFd = (fd: number, data: boolean): Promise<void> =>
  new Promise((resolve, reject) => (data ? fdatasync : fsync)(fd, (err) => (err ? reject(err) : resolve())));

/** fsyncs a directory, so a file created or renamed in it survives a machine crash. */
export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await syncFd(fd, false);
  } finally {
    closeSync(fd);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function segmentName(firstSequence: number): string {
  return `${SEGMENT_PREFIX}${String(firstSequence).padStart(16, '0')}.log`;
}

/** Spool records are identified by what the Kafka message needs besides the body. */
export interface RecordMeta {
  readonly key: string;
  readonly eventId: string;
  readonly traceparent: string;
}

export function encodeFrame(sequence: number, meta: RecordMeta, body: Buffer): Buffer {
  const keyLength = Buffer.byteLength(meta.key);
  const idLength = Buffer.byteLength(meta.eventId);
  const tpLength = Buffer.byteLength(meta.traceparent);
  const payloadLength = 8 + 2 + keyLength + 2 + idLength + 2 + tpLength + body.length;
  const frame = Buffer.allocUnsafe(FRAME_HEADER + payloadLength);
  frame.writeUInt32BE(payloadLength, 0);
  let at = FRAME_HEADER;
  frame.writeUInt32BE(Math.floor(sequence / 2 ** 32), at);
  frame.writeUInt32BE(sequence >>> 0, at + 4);
  at += 8;
  at = frame.writeUInt16BE(keyLength, at);
  at += frame.write(meta.key, at);
  at = frame.writeUInt16BE(idLength, at);
  at += frame.write(meta.eventId, at);
  at = frame.writeUInt16BE(tpLength, at);
  at += frame.write(meta.traceparent, at);
  body.copy(frame, at);
  frame.writeUInt32BE(crc32(frame.subarray(FRAME_HEADER)), 4);
  return frame;
}

/** Decodes the frames of one segment; stops at the first torn or corrupt frame. */
export function decodeFrames(data: Buffer): { records: SpooledRecord[]; corrupt: boolean } {
  const records: SpooledRecord[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < FRAME_HEADER) return { records, corrupt: true };
    const length = data.readUInt32BE(at);
    const end = at + FRAME_HEADER + length;
    if (length < 12 || end > data.length) return { records, corrupt: true };
    const payload = data.subarray(at + FRAME_HEADER, end);
    if (crc32(payload) !== data.readUInt32BE(at + 4)) return { records, corrupt: true };
    const sequence = payload.readUInt32BE(0) * 2 ** 32 + payload.readUInt32BE(4);
    let p = 8;
    const field = (): string => {
      const length = payload.readUInt16BE(p);
      const text = payload.toString('utf8', p + 2, p + 2 + length);
      p += 2 + length;
      return text;
    };
    const key = field();
    const eventId = field();
    const traceparent = field();
    records.push({
      sequence,
      key,
      eventId,
      traceparent,
      body: Buffer.from(payload.subarray(p)),
      size: FRAME_HEADER + length,
    });
    at = end;
  }
  return { records, corrupt: false };
}

export interface SpoolOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly segmentBytes?: number;
}

export class Spool {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly segments: Segment[] = [];
  /** The segment appended to (the last of `handles`, not retired). */
  private current: Handle | undefined;
  /** Every segment file still open: the current one and rolled ones not yet fsynced. */
  private handles: Handle[] = [];
  /** A segment file was created since the directory's last fsync. */
  private dirDirty = false;
  /** sync() calls run one after another, so none resolves before the writes it was called after. */
  private syncing: Promise<void> = Promise.resolve();
  private syncsInFlight = 0;
  private totalBytes = 0;
  private acked = 0;
  private closed = false;

  constructor(options: SpoolOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    // At least eight segments fit in the bound: space comes back a whole segment at a time, so a
    // segment as large as the bound would never free any (a 64 KiB spool filled once, for good).
    this.segmentBytes =
      options.segmentBytes ??
      Math.max(MIN_SEGMENT_BYTES, Math.min(16 * 2 ** 20, Math.floor(options.maxBytes / 8)));
    mkdirSync(this.dir, { recursive: true });
    this.lock();
  }

  /** One process per spool directory; a lock left by a dead process is taken over. */
  private lock(): void {
    const file = join(this.dir, 'lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(file, String(process.pid), { flag: 'wx' });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const owner = Number(readFileSync(file, 'utf8'));
        if (owner === process.pid) return;
        if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) {
          throw new SpoolLockedError(
            `spool ${this.dir} is in use by process ${owner}; give each producer its own spool.dir`,
          );
        }
        rmSync(file, { force: true });
      }
    }
    throw new SpoolLockedError(`could not lock spool ${this.dir}`);
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Reads what earlier runs left: the producer id and every record not yet acknowledged, in
   * order. Later appends go to a fresh segment, so a torn tail is never appended to.
   */
  recover(): SpoolRecovery {
    const state = this.readState();
    this.acked = state.ackedSequence;
    const files = readdirSync(this.dir)
      .filter((f) => f.startsWith(SEGMENT_PREFIX))
      .sort();
    const pending: SpooledRecord[] = [];
    let lastSequence = state.ackedSequence;
    let corruptFrames = 0;
    for (const name of files) {
      const file = join(this.dir, name);
      const { records, corrupt } = decodeFrames(readFileSync(file));
      if (corrupt) corruptFrames += 1;
      const segment: Segment = { file, lastSequence: 0, bytes: statSync(file).size };
      for (const record of records) {
        segment.lastSequence = Math.max(segment.lastSequence, record.sequence);
        lastSequence = Math.max(lastSequence, record.sequence);
        if (record.sequence > this.acked) pending.push(record);
      }
      if (segment.lastSequence <= this.acked) {
        rmSync(file, { force: true });
        continue;
      }
      this.segments.push(segment);
      this.totalBytes += segment.bytes;
    }
    return { producerId: state.producerId, pending, lastSequence, ackedSequence: this.acked, corruptFrames };
  }

  /** Remembers the producer id, so a restarted producer continues its own sequence. */
  setProducerId(producerId: string): void {
    this.writeState({ producerId, ackedSequence: this.acked });
  }

  /** Appends one record (a write to the page cache: it survives a killed process). */
  append(sequence: number, meta: RecordMeta, body: Buffer): number {
    if (this.closed) throw new Error('spool is closed');
    // The hot path of every emit(): one frame, no arrays.
    const frame = encodeFrame(sequence, meta, body);
    this.ensureRoom(frame.length);
    return this.write(sequence, frame);
  }

  /**
   * Appends records all or nothing: when they do not all fit, none is written and SpoolFullError
   * is thrown (a client retrying a refused batch must not duplicate its first events). Returns
   * each record's size on disk.
   */
  appendAll(records: readonly { sequence: number; meta: RecordMeta; body: Buffer }[]): number[] {
    if (this.closed) throw new Error('spool is closed');
    const frames = records.map((r) => encodeFrame(r.sequence, r.meta, r.body));
    this.ensureRoom(frames.reduce((sum, f) => sum + f.length, 0));
    return frames.map((frame, i) => this.write((records[i] as { sequence: number }).sequence, frame));
  }

  /** Throws SpoolFullError unless `needed` more bytes fit (after dropping an acknowledged segment). */
  private ensureRoom(needed: number): void {
    if (this.totalBytes + needed > this.maxBytes) this.dropAckedOpenSegment();
    if (this.totalBytes + needed > this.maxBytes) {
      throw new SpoolFullError(
        `audit spool is full (${this.totalBytes} of ${this.maxBytes} bytes, ${needed} more needed): Kafka has not acknowledged for a while`,
      );
    }
  }

  private write(sequence: number, frame: Buffer): number {
    let segment = this.segments.at(-1);
    let handle = this.current;
    if (!handle || !segment || segment.bytes + frame.length > this.segmentBytes) {
      const rolled = handle?.dirty === true;
      this.retireCurrent();
      segment = { file: join(this.dir, segmentName(sequence)), lastSequence: 0, bytes: 0 };
      handle = { fd: openSync(segment.file, 'a'), dirty: false, retired: false };
      this.current = handle;
      this.handles.push(handle);
      this.dirDirty = true;
      this.segments.push(segment);
      // The rolled segment's tail and the new file's name go to disk now, in the background,
      // so rolled segments never pile up unsynced (open) when nobody calls sync().
      if (rolled) this.sync().catch(() => {});
    }
    writeSync(handle.fd, frame);
    handle.dirty = true;
    segment.bytes += frame.length;
    segment.lastSequence = sequence;
    this.totalBytes += frame.length;
    return frame.length;
  }

  /**
   * Forces every record appended so far to disk (survives a machine crash, not only a process
   * crash): each segment written since its last fsync (a roll can leave records in the previous
   * one) and the directory when a segment file was created.
   */
  sync(): Promise<void> {
    const run = this.syncing.then(() => this.syncOnce());
    this.syncing = run.catch(() => {});
    return run;
  }

  private async syncOnce(): Promise<void> {
    const dirty = this.handles.filter((h) => h.dirty);
    const dir = this.dirDirty;
    for (const h of dirty) h.dirty = false;
    this.dirDirty = false;
    this.syncsInFlight += 1;
    try {
      await Promise.all(dirty.map((h) => syncFd(h.fd, true)));
      if (dir) await fsyncDir(this.dir);
    } catch (err) {
      for (const h of dirty) h.dirty = true;
      if (dir) this.dirDirty = true;
      throw err;
    } finally {
      this.syncsInFlight -= 1;
      this.closeRetired();
    }
  }

  /** Stops appending to the current segment; its file is closed once its writes are on disk. */
  private retireCurrent(): void {
    if (this.current) this.current.retired = true;
    this.current = undefined;
    this.closeRetired();
  }

  /** Closes rolled segment files that are clean, never while an fsync may still use their fd. */
  private closeRetired(): void {
    if (this.syncsInFlight > 0) return;
    this.handles = this.handles.filter((h) => {
      if (!h.retired || h.dirty) return true;
      closeSync(h.fd);
      return false;
    });
  }

  /** Marks everything up to `sequence` as delivered and deletes segments that are done. */
  ack(sequence: number, producerId: string): void {
    if (sequence <= this.acked) return;
    this.acked = sequence;
    this.writeState({ producerId, ackedSequence: sequence });
    while (this.segments.length > 1 && (this.segments[0]?.lastSequence ?? Infinity) <= sequence) {
      const done = this.segments.shift() as Segment;
      rmSync(done.file, { force: true });
      this.totalBytes -= done.bytes;
    }
    // The open segment is kept (and reused) until it rolls, unless a good part of it is done.
    if ((this.segments[0]?.bytes ?? 0) >= this.segmentBytes / 4) this.dropAckedOpenSegment();
  }

  /** Deletes the last segment when every record in it is acknowledged; later appends start anew. */
  private dropAckedOpenSegment(): void {
    const open = this.segments[0];
    if (this.segments.length !== 1 || !open || open.lastSequence > this.acked) return;
    // Everything in it is acknowledged: nothing of it needs an fsync any more.
    if (this.current) this.current.dirty = false;
    this.retireCurrent();
    rmSync(open.file, { force: true });
    this.segments.length = 0;
    this.totalBytes = 0;
  }

  /**
   * Keeps a record that can never be delivered (the broker refuses it, or no schema version
   * reads it) with its reason, fsynced, so that acknowledging it loses nothing: the line holds
   * the Avro body (base64) to inspect or re-send by hand.
   */
  setAside(record: SpooledRecord, reason: string): void {
    const line = `${JSON.stringify({
      set_aside_at: new Date().toISOString(),
      reason,
      sequence: record.sequence,
      event_id: record.eventId,
      key: record.key,
      traceparent: record.traceparent,
      body_base64: record.body.toString('base64'),
    })}\n`;
    const fd = openSync(join(this.dir, SET_ASIDE_FILE), 'a');
    try {
      writeSync(fd, line);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  close(): void {
    this.closed = true;
    for (const h of this.handles) closeSync(h.fd);
    this.handles = [];
    this.current = undefined;
    rmSync(join(this.dir, 'lock'), { force: true });
  }

  private readState(): { producerId: string | undefined; ackedSequence: number } {
    const file = join(this.dir, 'state.json');
    if (!existsSync(file)) return { producerId: undefined, ackedSequence: 0 };
    const state = JSON.parse(readFileSync(file, 'utf8')) as { producerId?: string; ackedSequence?: number };
    return { producerId: state.producerId, ackedSequence: state.ackedSequence ?? 0 };
  }

  /**
   * Atomic and durable replace: a crash, of the process or the machine, leaves the old or the new
   * state, never half of one or an empty file (the temporary file is fsynced before the rename,
   * the directory after it). Segments are deleted only after the state that acknowledges them is
   * on disk, so a restart never reuses a sequence number.
   */
  private writeState(state: { producerId: string; ackedSequence: number }): void {
    const file = join(this.dir, 'state.json');
    const fd = openSync(`${file}.tmp`, 'w');
    try {
      writeSync(fd, JSON.stringify(state));
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(`${file}.tmp`, file);
    fsyncDirSync(this.dir);
  }
}
