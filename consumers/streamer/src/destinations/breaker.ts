/**
 * Circuit breaker state of one destination (L4), time passed in so it is testable. After
 * `failureThreshold` consecutive failures it opens: no attempts for `cooldownMs`, then one
 * probe (half-open); the probe's success closes it, its failure opens it again.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;

  constructor(private readonly options: { failureThreshold: number; cooldownMs: number }) {}

  get state(): BreakerState {
    return this.current;
  }

  get failures(): number {
    return this.consecutiveFailures;
  }

  /** Milliseconds until an attempt may go out; 0 now (an open breaker past its cool-down half-opens). */
  waitMs(now: number): number {
    if (this.current !== 'open') return 0;
    const left = this.openedAt + this.options.cooldownMs - now;
    if (left > 0) return left;
    this.current = 'half-open';
    return 0;
  }

  /** Returns the new state when this success changed it. */
  success(): BreakerState | undefined {
    this.consecutiveFailures = 0;
    if (this.current === 'closed') return undefined;
    this.current = 'closed';
    return 'closed';
  }

  /** Returns the new state when this failure changed it. */
  failure(now: number): BreakerState | undefined {
    this.consecutiveFailures++;
    const trips =
      this.current === 'half-open' ||
      (this.current === 'closed' && this.consecutiveFailures >= this.options.failureThreshold);
    if (!trips) return undefined;
    this.current = 'open';
    this.openedAt = now;
    return 'open';
  }
}

/** Exponential backoff with full jitter: attempt 1 waits up to `initialMs`, doubling to `maxMs`. */
export function backoffMs(
  attempt: number,
  options: { initialMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt - 1));
  // Never zero: a receiver answering at once must not be hammered in a tight loop.
  return Math.max(options.initialMs / 4, Math.round(ceiling * random()));
}
