import { closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { ConfigError } from '@auditflow/kafka';
import type { Logger } from 'pino';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { type FileSinkSettings, rotationInterval } from './sink-config.ts';

/** One line per event to a destination in this process: the SDK's local sinks. */
export interface LineSink {
  readonly destination: 'stdout' | 'file';
  /** Writes one whole line; `done` once it is written or failed. False: wait for `drained()`. */
  write(line: string, done: (err?: Error | null) => void): boolean;
  /** Bytes accepted and not yet written. */
  readonly bufferedBytes: number;
  /** Resolves when the writes accepted so far may continue (the buffer emptied). */
  drained(): Promise<void>;
  /** Resolves once what was written is on stable storage (file) or handed to the OS (stdout). */
  sync(): Promise<void>;
  /** Writes what is buffered, makes it durable, and releases the destination. */
  close(): Promise<void>;
}

/** fsync of a file or directory by path (Linux flushes the inode's data whichever descriptor asks). */
async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const ignoreMissing = (err: NodeJS.ErrnoException): void => {
  if (err.code !== 'ENOENT') throw err;
};

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * The name of a rotated file: `<stem>.<UTC time of rotation, ms>.<n><ext>`, `n` counting the names
 * this process made, so names sort in the order the events were written (the current file,
 * `<stem><ext>`, comes last) and a name freed by deletion is never used again.
 */
export function rotatedName(file: string, time: Date, n: number): string {
  const ext = extname(file);
  const stem = file.slice(0, file.length - ext.length);
  const stamp =
    `${time.getUTCFullYear()}${pad(time.getUTCMonth() + 1)}${pad(time.getUTCDate())}T` +
    `${pad(time.getUTCHours())}${pad(time.getUTCMinutes())}${pad(time.getUTCSeconds())}` +
    `${pad(time.getUTCMilliseconds(), 3)}Z`;
  return `${stem}.${stamp}.${pad(n, 6)}${ext}`;
}

/**
 * A JSONL file rotated by size and at clock boundaries, on rotating-file-stream: each line is
 * one write, which the library never splits across files; at most `keep` rotated files are kept
 * (its history file `<name>.history` lists them). A rotated file is fsynced, with its directory,
 * once rotated (an empty one, from an idle period, is deleted instead); close() ends the stream
 * and fsyncs the last file. A stream error (disk full, file removed with its directory) fails the
 * lines in flight, is counted by the caller, and the next write opens the file again.
 */
export class RotatingFileSink implements LineSink {
  readonly destination = 'file';
  readonly path: string;
  private readonly dir: string;
  private stream: RotatingFileStream;
  /** Rotated names made by this process. */
  private names = 0;
  /** fsyncs of rotated files, in order; sync() and close() wait for them. */
  private rotations: Promise<void> = Promise.resolve();

  constructor(
    private readonly settings: FileSinkSettings,
    private readonly log: Logger,
    private readonly onError: (err: Error) => void,
  ) {
    this.path = resolve(settings.path);
    this.dir = dirname(this.path);
    // Checked once at start, so a wrong path stops the program rather than every emit().
    try {
      mkdirSync(this.dir, { recursive: true });
      closeSync(openSync(this.path, 'a'));
    } catch (err) {
      throw new ConfigError(`sink file ${this.path} cannot be written: ${(err as Error).message}`);
    }
    this.stream = this.open();
  }

  private open(): RotatingFileStream {
    const name = basename(this.path);
    // The library asks again while a name exists: every call gets a new number.
    const stream = createStream(
      (time: Date | number | null) => (time instanceof Date ? rotatedName(name, time, ++this.names) : name),
      {
        path: this.dir,
        size: `${this.settings.maxBytes}B`,
        interval: rotationInterval(this.settings.maxAgeMs) as string,
        intervalUTC: true,
        maxFiles: this.settings.keep,
        history: `${name}.history`,
      },
    );
    stream.on('rotated', (rotated: string) => {
      this.rotations = this.rotations.then(() => this.settle(rotated));
    });
    stream.on('warning', (err: Error) =>
      this.log.warn({ err: err.message }, 'audit sink file: rotation warning'),
    );
    stream.on('error', (err: Error) => this.onError(err));
    return stream;
  }

  /** A rotated file made durable (or removed when it holds nothing), then the directory. */
  private async settle(rotated: string): Promise<void> {
    try {
      const { size } = await stat(rotated);
      if (size === 0) await unlink(rotated);
      else await fsyncPath(rotated);
      await fsyncPath(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.log.warn(
        { err: (err as Error).message, file: rotated },
        'audit sink file: fsync after rotation failed',
      );
    }
  }

  write(line: string, done: (err?: Error | null) => void): boolean {
    // A failed stream is closed for good (the library's rule): the next line opens a new one.
    if (this.stream.destroyed) this.stream = this.open();
    return this.stream.write(line, done);
  }

  get bufferedBytes(): number {
    return this.stream.writableLength;
  }

  drained(): Promise<void> {
    return drained(this.stream);
  }

  async sync(): Promise<void> {
    await fsyncPath(this.path).catch(ignoreMissing);
    await this.rotations;
  }

  async close(): Promise<void> {
    const stream = this.stream;
    if (!stream.destroyed && !stream.writableFinished) {
      await new Promise<void>((resolveEnd, reject) => {
        stream.once('error', reject);
        stream.end(() => resolveEnd());
      });
    }
    await this.rotations;
    await fsyncPath(this.path).catch(ignoreMissing);
    await fsyncPath(this.dir);
  }
}

/** Resolves once `stream` wants more (at once when it does). */
export function drained(stream: Writable): Promise<void> {
  if (!stream.writableNeedDrain) return Promise.resolve();
  return new Promise((resolveDrain) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolveDrain();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** The stdout sink: one line per event on this process's standard output (logs go to stderr). */
export class StdoutSink implements LineSink {
  readonly destination = 'stdout';

  constructor(
    private readonly out: Writable,
    onError: (err: Error) => void,
  ) {
    // EPIPE when the reader went away: counted by the caller, not a crash of the application.
    out.on('error', onError);
  }

  write(line: string, done: (err?: Error | null) => void): boolean {
    return this.out.write(line, done);
  }

  get bufferedBytes(): number {
    return this.out.writableLength;
  }

  drained(): Promise<void> {
    return drained(this.out);
  }

  /** Written lines are already the OS's (stdout on files and pipes is synchronous on Linux). */
  async sync(): Promise<void> {}

  async close(): Promise<void> {
    await this.drained();
  }
}
