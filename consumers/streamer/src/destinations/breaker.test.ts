import { describe, expect, it } from 'vitest';
import { backoffMs, CircuitBreaker } from './breaker.ts';

describe('circuit breaker', () => {
  it('opens after N consecutive failures, waits the cool-down, then lets one probe through', () => {
    const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000 });
    expect(b.failure(0)).toBeUndefined();
    expect(b.failure(10)).toBeUndefined();
    expect(b.waitMs(10)).toBe(0);
    expect(b.failure(20)).toBe('open');
    expect(b.state).toBe('open');
    expect(b.waitMs(520)).toBe(500);
    expect(b.waitMs(1020)).toBe(0);
    expect(b.state).toBe('half-open');
  });

  it('a failed probe opens it again for a full cool-down; a good one closes it', () => {
    const b = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 1000 });
    b.failure(0);
    b.failure(0);
    b.waitMs(1000);
    expect(b.failure(1000)).toBe('open');
    expect(b.waitMs(1500)).toBe(500);
    b.waitMs(2000);
    expect(b.success()).toBe('closed');
    expect(b.failures).toBe(0);
    expect(b.success()).toBeUndefined();
  });

  it('a success between failures resets the count', () => {
    const b = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 1000 });
    b.failure(0);
    b.success();
    expect(b.failure(0)).toBeUndefined();
    expect(b.state).toBe('closed');
  });
});

describe('backoff', () => {
  it('doubles its ceiling up to the maximum, with jitter below it and a floor above zero', () => {
    const o = { initialMs: 100, maxMs: 1000 };
    expect(backoffMs(1, o, () => 1)).toBe(100);
    expect(backoffMs(3, o, () => 1)).toBe(400);
    expect(backoffMs(10, o, () => 1)).toBe(1000);
    expect(backoffMs(3, o, () => 0.5)).toBe(200);
    expect(backoffMs(3, o, () => 0)).toBe(25);
  });
});
