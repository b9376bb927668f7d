import { classifyFailure } from '@auditflow/kafka';
import { describe, expect, it } from 'vitest';
import { DeliveryError, isPermanentStatus } from './sender.ts';
import { retryAfterMs } from './webhook.ts';

describe('webhook answers: permanent or retriable', () => {
  it('400, 409, 413 and 422 refuse the content: permanent', () => {
    for (const status of [400, 409, 413, 422]) {
      expect(isPermanentStatus(status)).toBe(true);
      expect(classifyFailure(new DeliveryError('x', status))).toMatchObject({
        retriable: false,
        reason: `http_${status}`,
      });
    }
  });

  it('408, 429, 5xx and the 4xx about the destination itself are retried', () => {
    for (const status of [300, 401, 403, 404, 405, 407, 408, 410, 415, 429, 500, 502, 503, 504]) {
      expect(isPermanentStatus(status)).toBe(false);
      expect(classifyFailure(new DeliveryError('x', status)).retriable).toBe(true);
    }
  });

  it('connection errors and timeouts (no status) are retried', () => {
    expect(classifyFailure(new DeliveryError('request failed: connect ECONNREFUSED')).retriable).toBe(true);
  });

  it('reads Retry-After in seconds or as an HTTP date', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Sun, 01 Mar 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
