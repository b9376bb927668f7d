import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.ts';

describe('RateLimiter', () => {
  it('allows a burst, then refills at the rate, per client', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    expect(limiter.take('a', 10, 5, 10)).toEqual({ ok: true });
    expect(limiter.take('a', 1, 5, 10)).toEqual({ ok: false, retryAfterS: 1 });
    expect(limiter.take('b', 10, 5, 10)).toEqual({ ok: true });
    now = 1000;
    expect(limiter.take('a', 5, 5, 10)).toEqual({ ok: true });
    expect(limiter.take('a', 5, 5, 10)).toEqual({ ok: false, retryAfterS: 1 });
  });
});
