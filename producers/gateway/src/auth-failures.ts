import type { AuthFailure } from './auth.ts';

/** One audit record for a run of failed authentications of one client for one reason. */
export interface AggregatedAuthFailure {
  /** The configured client the request named, or undefined (no or unknown credentials). */
  readonly clientId: string | undefined;
  readonly method: AuthFailure['method'];
  readonly reason: string;
  readonly count: number;
  readonly firstAt: number;
  readonly lastAt: number;
  /** Distinct source addresses seen, at most MAX_SOURCE_IPS. */
  readonly sourceIps: readonly string[];
}

const MAX_SOURCE_IPS = 10;

interface Window {
  readonly clientId: string | undefined;
  readonly method: AuthFailure['method'];
  readonly reason: string;
  /** When the current interval ends. */
  until: number;
  count: number;
  firstAt: number;
  lastAt: number;
  sourceIps: Set<string>;
}

/**
 * Rate-limits and aggregates failed-authentication audit events, so a flood of bad requests
 * cannot flood the audit trail: per (client, method, reason) at most one event per interval.
 * The first failure of a quiet key is reported at once (an alert should not wait); failures
 * after it in the same interval are counted and reported as one event with the count when the
 * interval ends; a key that stays quiet for a whole interval is forgotten. Keys are bounded
 * (`maxKeys`); beyond it failures are counted under one overflow key.
 */
export class AuthFailureAggregator {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly intervalMs: number,
    private readonly report: (failure: AggregatedAuthFailure) => void,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 1000,
  ) {}

  record(failure: AuthFailure, sourceIp: string | undefined): void {
    const now = this.now();
    let key = `${failure.clientId ?? ''}\n${failure.method}\n${failure.reason}`;
    let reason = failure.reason;
    let clientId = failure.clientId;
    if (!this.windows.has(key) && this.windows.size >= this.maxKeys) {
      key = '\noverflow';
      reason = 'other (too many distinct clients and reasons)';
      clientId = undefined;
    }
    const open = this.windows.get(key);
    if (!open) {
      this.report({
        clientId,
        method: failure.method,
        reason,
        count: 1,
        firstAt: now,
        lastAt: now,
        sourceIps: sourceIp ? [sourceIp] : [],
      });
      this.windows.set(key, {
        clientId,
        method: failure.method,
        reason,
        until: now + this.intervalMs,
        count: 0,
        firstAt: now,
        lastAt: now,
        sourceIps: new Set(),
      });
      return;
    }
    if (open.count === 0) open.firstAt = now;
    open.count += 1;
    open.lastAt = now;
    if (sourceIp && open.sourceIps.size < MAX_SOURCE_IPS) open.sourceIps.add(sourceIp);
  }

  /** Reports the intervals that have ended (all of them with `everything`, e.g. at shutdown). */
  flush(everything = false): void {
    const now = this.now();
    for (const [key, window] of this.windows) {
      if (!everything && window.until > now) continue;
      if (window.count === 0) {
        this.windows.delete(key);
        continue;
      }
      this.report({
        clientId: window.clientId,
        method: window.method,
        reason: window.reason,
        count: window.count,
        firstAt: window.firstAt,
        lastAt: window.lastAt,
        sourceIps: [...window.sourceIps],
      });
      window.until = now + this.intervalMs;
      window.count = 0;
      window.sourceIps = new Set();
    }
  }

  /** Failures counted and not yet reported. */
  get pending(): number {
    let total = 0;
    for (const window of this.windows.values()) total += window.count;
    return total;
  }
}
