import { describe, expect, it } from 'vitest';
import type { AuthFailure } from './auth.ts';
import { type AggregatedAuthFailure, AuthFailureAggregator } from './auth-failures.ts';

const unknownToken: AuthFailure = { ok: false, method: 'bearer', reason: 'unknown token' };
const badSignature: AuthFailure = {
  ok: false,
  method: 'hmac',
  clientId: 'hooks',
  reason: 'signature mismatch',
};

function setup(maxKeys?: number) {
  const clock = { now: 1_000_000 };
  const reported: AggregatedAuthFailure[] = [];
  const aggregator = new AuthFailureAggregator(
    60_000,
    (f) => reported.push(f),
    () => clock.now,
    maxKeys,
  );
  return { clock, reported, aggregator };
}

describe('AuthFailureAggregator', () => {
  it('reports the first failure at once, then one event with the count per interval', () => {
    const { clock, reported, aggregator } = setup();
    aggregator.record(unknownToken, '10.0.0.1');
    expect(reported).toEqual([
      expect.objectContaining({ reason: 'unknown token', count: 1, sourceIps: ['10.0.0.1'] }),
    ]);
    for (let i = 0; i < 10_000; i++) {
      clock.now += 5;
      aggregator.record(unknownToken, `10.0.0.${i % 50}`);
    }
    aggregator.flush();
    expect(reported).toHaveLength(1); // the interval has not ended: nothing more yet
    clock.now = 1_000_000 + 60_000;
    aggregator.flush();
    expect(reported).toHaveLength(2);
    expect(reported[1]).toMatchObject({ method: 'bearer', reason: 'unknown token', count: 10_000 });
    expect(reported[1]?.sourceIps).toHaveLength(10);
    expect(aggregator.pending).toBe(0);
  });

  it('keeps a key per client and reason', () => {
    const { reported, aggregator } = setup();
    aggregator.record(unknownToken, undefined);
    aggregator.record(badSignature, undefined);
    aggregator.record({ ...badSignature, reason: 'nonce already used (replayed request)' }, undefined);
    aggregator.record({ ...badSignature, clientId: 'other' }, undefined);
    expect(reported.map((r) => [r.clientId, r.reason])).toEqual([
      [undefined, 'unknown token'],
      ['hooks', 'signature mismatch'],
      ['hooks', 'nonce already used (replayed request)'],
      ['other', 'signature mismatch'],
    ]);
  });

  it('bounds a steady flood to one event per interval and forgets a key that went quiet', () => {
    const { clock, reported, aggregator } = setup();
    for (let second = 0; second < 600; second++) {
      for (let i = 0; i < 100; i++) aggregator.record(badSignature, '192.0.2.7');
      clock.now += 1000;
      aggregator.flush();
    }
    // Ten minutes of 100 failures a second: the first at once, then one per minute.
    expect(reported.length).toBeGreaterThanOrEqual(10);
    expect(reported.length).toBeLessThanOrEqual(11);
    expect(reported.reduce((sum, r) => sum + r.count, 0) + aggregator.pending).toBe(60_000);
    clock.now += 120_000;
    aggregator.flush();
    aggregator.flush();
    const before = reported.length;
    aggregator.record(badSignature, '192.0.2.7');
    expect(reported).toHaveLength(before + 1); // quiet for an interval: reported at once again
    expect(reported.at(-1)?.count).toBe(1);
  });

  it('reports everything counted at shutdown', () => {
    const { reported, aggregator } = setup();
    aggregator.record(unknownToken, undefined);
    aggregator.record(unknownToken, undefined);
    aggregator.record(unknownToken, undefined);
    aggregator.flush(true);
    expect(reported.map((r) => r.count)).toEqual([1, 2]);
  });

  it('bounds the number of keys: beyond it, failures are counted under one overflow key', () => {
    const { reported, aggregator } = setup(3);
    for (let i = 0; i < 100; i++) aggregator.record({ ...badSignature, clientId: `client-${i}` }, undefined);
    aggregator.flush(true);
    expect(reported.filter((r) => r.reason.startsWith('other'))).toEqual([
      expect.objectContaining({ count: 1 }),
      expect.objectContaining({ count: 96 }),
    ]);
    expect(reported).toHaveLength(5);
  });
});
