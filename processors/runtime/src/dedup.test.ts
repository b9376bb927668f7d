import { hash } from 'node:crypto';
import { resendKey } from '@auditflow/kafka';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESEND_WINDOW, PartitionWindows, ResendWindow, resendWindowFromEnv } from './dedup.ts';

const event = (tenant: string, producer: string, sequence: number, id: string) => ({
  tenant_id: tenant,
  id,
  producer: { id: producer, sequence },
});

/** A window key as resendKey() makes them: a SHA-256 digest. */
const k = (label: string) => hash('sha256', label, 'binary');

describe('resendKey', () => {
  it('is the same for a resend and differs when any of the four fields differs', () => {
    const original = resendKey(event('acme', 'p1', 7, 'e1'));
    expect(resendKey(event('acme', 'p1', 7, 'e1'))).toBe(original);
    for (const other of [
      event('globex', 'p1', 7, 'e1'), // same id, another tenant: an id conflict, not a resend
      event('acme', 'p2', 7, 'e1'), // another producer
      event('acme', 'p1', 8, 'e1'), // another sequence of the same producer
      event('acme', 'p1', 7, 'e2'),
    ]) {
      expect(resendKey(other)).not.toBe(original);
    }
  });

  it('cannot be forged by moving characters between fields', () => {
    // Plain joining with a separator would make these two equal.
    const a = resendKey(event('a:1', 'b', 1, 'x'));
    const b = resendKey(event('a', '1:b', 1, 'x'));
    const c = resendKey(event('a', 'b1', 1, 'x'));
    const d = resendKey(event('a', 'b', 11, 'x'));
    expect(new Set([a, b, c, d]).size).toBe(4);
    expect(resendKey(event('t', 'p', 1, '2:x'))).not.toBe(resendKey(event('t', 'p', 12, 'x')));
  });
});

describe('ResendWindow', () => {
  it('holds at most its capacity and evicts the oldest key first', () => {
    const window = new ResendWindow(3);
    for (const key of [k('a'), k('b'), k('c')]) window.add(key);
    window.add(k('a')); // seen again: not refreshed, not counted twice
    expect(window.size).toBe(3);
    window.add(k('d'));
    expect(window.size).toBe(3);
    expect(window.has(k('a'))).toBe(false);
    expect([k('b'), k('c'), k('d')].every((k) => window.has(k))).toBe(true);
    window.add(k('e'));
    expect(window.has(k('b'))).toBe(false);
    expect(window.has(k('e'))).toBe(true);
  });

  it('agrees with a plain list of the last distinct keys over a long random run', () => {
    const capacity = 50;
    const window = new ResendWindow(capacity);
    const model: string[] = [];
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 20_000; i++) {
      const key = k(`k${next() % 200}`);
      expect(window.has(key)).toBe(model.includes(key));
      window.add(key);
      if (!model.includes(key)) {
        model.push(key);
        if (model.length > capacity) model.shift();
      }
      expect(window.size).toBe(model.length);
    }
  });

  it('refuses a capacity that is not a positive whole number', () => {
    expect(() => new ResendWindow(0)).toThrow(RangeError);
    expect(() => new ResendWindow(1.5)).toThrow(RangeError);
  });
});

describe('PartitionWindows', () => {
  it('rebuilds a newly owned partition from the window before its committed offset', () => {
    const windows = new PartitionWindows(100);
    expect(windows.plan(0, 250, 0)).toEqual({ kind: 'rebuild', from: 150, until: 250 });
    expect(windows.rebuilding(0)).toBe(250);
    for (let offset = 150; offset < 249; offset++)
      expect(windows.absorb(0, offset, k(`k${offset}`))).toBe(false);
    // The last record below the commit ends the rebuild.
    expect(windows.absorb(0, 249, k('k249'))).toBe(false);
    expect(windows.rebuilding(0)).toBeUndefined();
    expect(windows.size(0)).toBe(100);
    expect(windows.seen(0, k('k150'))).toBe(true);
    expect(windows.seen(0, k('k149'))).toBe(false);
    // Its next plan finds the window complete.
    expect(windows.plan(0, 250, 0)).toEqual({ kind: 'ready' });
  });

  it('ends a rebuild at the first record at or past the commit, and skips undecodable ones', () => {
    const windows = new PartitionWindows(10);
    windows.plan(1, 10, 0);
    expect(windows.absorb(1, 0, undefined)).toBe(false);
    expect(windows.absorb(1, 4, k('a'))).toBe(false); // offsets may jump (markers, compaction)
    expect(windows.absorb(1, 12, k('late'))).toBe(true); // processed as usual, not window-only
    expect(windows.rebuilding(1)).toBeUndefined();
    expect(windows.seen(1, k('a'))).toBe(true);
    expect(windows.seen(1, k('late'))).toBe(false);
    expect(windows.size(1)).toBe(1);
    expect(windows.plan(1, 10, 0)).toEqual({ kind: 'ready' });
  });

  it('does not read before the log start nor rebuild a partition never committed', () => {
    const windows = new PartitionWindows(100);
    expect(windows.plan(0, 250, 200)).toEqual({ kind: 'rebuild', from: 200, until: 250 });
    expect(windows.plan(1, -1, 0)).toEqual({ kind: 'ready' });
    expect(windows.plan(2, 0, 0)).toEqual({ kind: 'ready' });
    expect(windows.plan(3, 500, 500)).toEqual({ kind: 'ready' }); // everything before is deleted
  });

  it('keeps a window that ends at the commit and rebuilds one another owner moved past', () => {
    const windows = new PartitionWindows(100);
    windows.plan(0, -1, 0);
    windows.committed(0, [k('a'), k('b')], 2);
    expect(windows.plan(0, 2, 0)).toEqual({ kind: 'ready' }); // our own producer, renewed
    expect(windows.seen(0, k('a'))).toBe(true);
    // Someone else committed 2..40 meanwhile: what we hold has a hole, so it is read again.
    expect(windows.plan(0, 40, 0)).toEqual({ kind: 'rebuild', from: 0, until: 40 });
    expect(windows.seen(0, k('a'))).toBe(false);
  });

  it('only committed batches join the window; windows are per partition and dropped on revoke', () => {
    const windows = new PartitionWindows(100);
    windows.plan(0, -1, 0);
    windows.plan(1, -1, 0);
    windows.committed(0, new Set([k('x')]), 1);
    expect(windows.seen(0, k('x'))).toBe(true);
    expect(windows.seen(1, k('x'))).toBe(false);
    windows.plan(1, 5, 0);
    expect(windows.rebuildingPartitions()).toEqual([1]);
    windows.retain(new Set([1]));
    expect(windows.seen(0, k('x'))).toBe(false);
    expect(windows.plan(0, 1, 0)).toEqual({ kind: 'rebuild', from: 0, until: 1 });
  });
});

describe('resendWindowFromEnv', () => {
  it('defaults, reads a count, turns off at 0 and names the variable on a bad value', () => {
    expect(resendWindowFromEnv({})).toEqual({ windowPerPartition: DEFAULT_RESEND_WINDOW });
    expect(resendWindowFromEnv({ AUDITFLOW_DEDUPE_WINDOW: '5000' })).toEqual({ windowPerPartition: 5000 });
    expect(resendWindowFromEnv({ AUDITFLOW_DEDUPE_WINDOW: '0' })).toBeUndefined();
    for (const bad of ['-1', '1.5', 'many', '1e6', '99999999']) {
      expect(() => resendWindowFromEnv({ AUDITFLOW_DEDUPE_WINDOW: bad })).toThrow(/AUDITFLOW_DEDUPE_WINDOW/);
    }
  });
});

describe('ResendWindow at scale', () => {
  it('keeps exactly the last capacity keys through many evictions (table deletions stay consistent)', () => {
    const capacity = 1000;
    const window = new ResendWindow(capacity);
    const total = 25_000;
    for (let i = 0; i < total; i++) window.add(k(`e${i}`));
    expect(window.size).toBe(capacity);
    for (let i = total - capacity; i < total; i++) expect(window.has(k(`e${i}`))).toBe(true);
    for (let i = 0; i < total - capacity; i += 7) expect(window.has(k(`e${i}`))).toBe(false);
  });

  it('refuses a key that is not a digest rather than keeping a short prefix', () => {
    expect(() => new ResendWindow(4).add('short')).toThrow(RangeError);
  });
});
