import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeFrames,
  encodeFrame,
  SET_ASIDE_FILE,
  Spool,
  SpoolFullError,
  SpoolLockedError,
} from './spool.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'auditflow-spool-'));
const body = (n: number) => Buffer.from(`event-${n}`);
const meta = { key: 'k', eventId: 'id', traceparent: '' };

function fill(spool: Spool, from: number, to: number): void {
  for (let seq = from; seq <= to; seq++)
    spool.append(seq, { key: `k${seq % 3}`, eventId: `id-${seq}`, traceparent: `tp-${seq}` }, body(seq));
}

describe('Spool', () => {
  it('recovers every unacknowledged record in order after a restart', () => {
    const d = dir();
    const first = new Spool({ dir: d, maxBytes: 1 << 20 });
    first.recover();
    first.setProducerId('p-1');
    fill(first, 1, 10);
    first.ack(4, 'p-1');
    // No close(): as if the process were killed.
    const second = new Spool({ dir: d, maxBytes: 1 << 20 }).recover();
    expect(second.producerId).toBe('p-1');
    expect(second.ackedSequence).toBe(4);
    expect(second.lastSequence).toBe(10);
    expect(second.pending.map((r) => r.sequence)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(second.pending[0]).toMatchObject({
      key: 'k2',
      eventId: 'id-5',
      traceparent: 'tp-5',
      body: body(5),
    });
  });

  it('detects a torn tail and never replays it as garbage', () => {
    const d = dir();
    const spool = new Spool({ dir: d, maxBytes: 1 << 20 });
    spool.recover();
    fill(spool, 1, 3);
    const [segment] = readdirSync(d).filter((f) => f.startsWith('segment-'));
    const torn = encodeFrame(4, meta, body(4)).subarray(0, 15);
    appendFileSync(join(d, segment as string), torn);
    const recovered = new Spool({ dir: d, maxBytes: 1 << 20 }).recover();
    expect(recovered.pending.map((r) => r.sequence)).toEqual([1, 2, 3]);
    expect(recovered.corruptFrames).toBe(1);
  });

  it('stops at a frame whose checksum does not match', () => {
    const frames = Buffer.concat([encodeFrame(1, meta, body(1)), encodeFrame(2, meta, body(2))]);
    const damaged = Buffer.from(frames);
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 2) ^ 0xff, damaged.length - 2);
    expect(decodeFrames(frames)).toMatchObject({
      corrupt: false,
      records: [{ sequence: 1 }, { sequence: 2 }],
    });
    const result = decodeFrames(damaged);
    expect(result.corrupt).toBe(true);
    expect(result.records.map((r) => r.sequence)).toEqual([1]);
  });

  it('refuses appends past its bound with a retriable error, and takes more after an ack', () => {
    const d = dir();
    const frameSize = encodeFrame(1, { key: 'k0', eventId: 'id-1', traceparent: 'tp-1' }, body(1)).length;
    const spool = new Spool({ dir: d, maxBytes: frameSize * 5 + 10, segmentBytes: frameSize * 2 });
    spool.recover();
    fill(spool, 1, 5);
    let error: unknown;
    try {
      spool.append(6, meta, body(6));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SpoolFullError);
    expect((error as SpoolFullError).retriable).toBe(true);
    spool.ack(4, 'p');
    expect(() => spool.append(6, meta, body(6))).not.toThrow();
    expect(spool.bytes).toBeLessThan(frameSize * 5);
  });

  it('appends a batch all or nothing: one that does not fit leaves no record behind', () => {
    const d = dir();
    const frameSize = encodeFrame(1, meta, body(1)).length;
    const spool = new Spool({ dir: d, maxBytes: frameSize * 5, segmentBytes: frameSize * 2 });
    spool.recover();
    const batch = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ sequence: from + i, meta, body: body(from + i) }));
    spool.appendAll(batch(1, 3));
    expect(() => spool.appendAll(batch(4, 3))).toThrowError(SpoolFullError);
    expect(spool.bytes).toBe(frameSize * 3);
    expect(spool.appendAll(batch(4, 2))).toEqual([frameSize, frameSize]);
    spool.close();
    expect(new Spool({ dir: d, maxBytes: 1 << 20 }).recover().pending.map((r) => r.sequence)).toEqual([
      1, 2, 3, 4, 5,
    ]);
  });

  it('frees space again in a spool far smaller than the default segment (64 KiB)', () => {
    const d = dir();
    const spool = new Spool({ dir: d, maxBytes: 64 * 1024 });
    spool.recover();
    let sequence = 0;
    // Fill it, acknowledge everything, and fill it again: three times over.
    for (let round = 0; round < 3; round++) {
      const first = sequence + 1;
      for (;;) {
        try {
          spool.append(sequence + 1, meta, body(sequence + 1));
          sequence += 1;
        } catch (err) {
          expect(err).toBeInstanceOf(SpoolFullError);
          break;
        }
      }
      expect(sequence - first + 1).toBeGreaterThan(100);
      spool.ack(sequence, 'p');
      expect(spool.bytes).toBeLessThan((64 * 1024) / 4);
    }
    expect(new Spool({ dir: d, maxBytes: 64 * 1024 }).recover().pending).toEqual([]);
  });

  it('deletes fully acknowledged segments', () => {
    const d = dir();
    const frameSize = encodeFrame(1, { key: 'k0', eventId: 'id-1', traceparent: 'tp-1' }, body(1)).length;
    const spool = new Spool({ dir: d, maxBytes: 1 << 20, segmentBytes: frameSize * 3 });
    spool.recover();
    fill(spool, 1, 9);
    const before = readdirSync(d).filter((f) => f.startsWith('segment-')).length;
    spool.ack(6, 'p');
    const after = readdirSync(d).filter((f) => f.startsWith('segment-')).length;
    expect(before).toBeGreaterThanOrEqual(3);
    expect(after).toBeLessThan(before);
    const state = JSON.parse(readFileSync(join(d, 'state.json'), 'utf8'));
    expect(state).toEqual({ producerId: 'p', ackedSequence: 6 });
    expect(new Spool({ dir: d, maxBytes: 1 << 20 }).recover().pending.map((r) => r.sequence)).toEqual([
      7, 8, 9,
    ]);
  });

  it('refuses a second live owner and takes over a lock left by a dead process', () => {
    const d = dir();
    writeFileSync(join(d, 'lock'), '1'); // pid 1 is always alive
    expect(() => new Spool({ dir: d, maxBytes: 1024 })).toThrowError(SpoolLockedError);
    writeFileSync(join(d, 'lock'), '999999999');
    const spool = new Spool({ dir: d, maxBytes: 1024 });
    expect(readFileSync(join(d, 'lock'), 'utf8')).toBe(String(process.pid));
    spool.close();
  });

  it('ignores a half-written state file left by a crash', () => {
    const d = dir();
    writeFileSync(join(d, 'state.json.tmp'), '{"produc');
    expect(new Spool({ dir: d, maxBytes: 1024 }).recover().ackedSequence).toBe(0);
  });
});

describe('Spool.setAside', () => {
  it('keeps an undeliverable record with its reason and body beside the segments', () => {
    const d = dir();
    const spool = new Spool({ dir: d, maxBytes: 1 << 20 });
    spool.recover();
    spool.setAside(
      { sequence: 3, key: 'k', eventId: 'id-3', traceparent: '', body: body(3), size: 0 },
      'MESSAGE_TOO_LARGE',
    );
    spool.setAside(
      { sequence: 9, key: 'k', eventId: 'id-9', traceparent: '', body: body(9), size: 0 },
      'undecodable',
    );
    const lines = readFileSync(join(d, SET_ASIDE_FILE), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.sequence, l.event_id, l.reason])).toEqual([
      [3, 'id-3', 'MESSAGE_TOO_LARGE'],
      [9, 'id-9', 'undecodable'],
    ]);
    expect(Buffer.from(lines[0].body_base64, 'base64')).toEqual(body(3));
    spool.close();
  });
});
