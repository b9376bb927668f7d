import { mkdtempSync, readlinkSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';

/** Every path fsynced (data or full), read from /proc/self/fd as the call happens. */
const synced: string[] = [];
const record = (fd: number) => synced.push(readlinkSync(`/proc/self/fd/${fd}`));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const wrap =
    <A extends unknown[]>(fn: (fd: number, ...rest: A) => void) =>
    (fd: number, ...rest: A) => {
      record(fd);
      return fn(fd, ...rest);
    };
  return {
    ...fs,
    fsync: wrap(fs.fsync),
    fdatasync: wrap(fs.fdatasync),
    fsyncSync: wrap(fs.fsyncSync),
    fdatasyncSync: wrap(fs.fdatasyncSync),
  };
});

const { encodeFrame, Spool } = await import('./spool.ts');

const meta = { key: 'k', eventId: 'id', traceparent: '' };
const body = (n: number) => Buffer.from(`event-${n}`);
const frameSize = encodeFrame(1, meta, body(1)).length;
const dir = () => realpathSync(mkdtempSync(join(tmpdir(), 'auditflow-spool-sync-')));
const files = (paths: string[]) => new Set(paths.map((p) => basename(p)));

describe('Spool fsync coverage (machine crash)', () => {
  beforeEach(() => {
    synced.length = 0;
  });

  it('sync() covers a segment rolled since the last sync, and the directory', async () => {
    const d = dir();
    const spool = new Spool({ dir: d, maxBytes: 1 << 20, segmentBytes: frameSize * 2 });
    spool.recover();
    spool.append(1, meta, body(1));
    spool.append(2, meta, body(2));
    await spool.sync();
    synced.length = 0;
    // Sequence 3 fills the first segment's... no: 1 and 2 filled it; 3 rolls, 4 lands beside it.
    spool.append(3, meta, body(3));
    spool.append(4, meta, body(4));
    spool.append(5, meta, body(5)); // rolls again: 3 and 4 sit in a segment no longer written
    await spool.sync();
    const names = files(synced);
    expect(names).toContain('segment-0000000000000003.log');
    expect(names).toContain('segment-0000000000000005.log');
    expect(synced).toContain(d); // the new segments' names
    spool.close();
  });

  it('does not fsync segments that have nothing new', async () => {
    const d = dir();
    const spool = new Spool({ dir: d, maxBytes: 1 << 20, segmentBytes: frameSize * 2 });
    spool.recover();
    for (let seq = 1; seq <= 5; seq++) spool.append(seq, meta, body(seq));
    await spool.sync();
    synced.length = 0;
    spool.append(6, meta, body(6));
    await spool.sync();
    expect([...files(synced)]).toEqual(['segment-0000000000000005.log']);
    spool.close();
  });

  it('a concurrent sync() never resolves before the writes it was called after are on disk', async () => {
    const d = dir();
    const spool = new Spool({ dir: d, maxBytes: 1 << 20, segmentBytes: frameSize * 2 });
    spool.recover();
    spool.append(1, meta, body(1));
    const first = spool.sync();
    spool.append(2, meta, body(2));
    spool.append(3, meta, body(3)); // rolls while the first sync runs
    synced.length = 0;
    await Promise.all([first, spool.sync()]);
    expect(files(synced)).toContain('segment-0000000000000001.log');
    expect(files(synced)).toContain('segment-0000000000000003.log');
    spool.close();
  });

  it('writes state.json through a fsynced temporary file and fsyncs the directory after the rename', () => {
    const d = dir();
    const spool = new Spool({ dir: d, maxBytes: 1 << 20 });
    spool.recover();
    spool.setProducerId('p-1');
    expect(synced).toEqual([join(d, 'state.json.tmp'), d]);
    spool.close();
  });
});
