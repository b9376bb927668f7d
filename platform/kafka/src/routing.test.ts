import { describe, expect, it } from 'vitest';
import { routingTime } from './routing.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 11, 1, 12);

describe('routingTime', () => {
  it('files an event under when it happened inside the window', () => {
    for (const occurredAt of [NOW, NOW - 29 * DAY, NOW + 23 * HOUR]) {
      expect(routingTime({ occurredAt, receivedAt: NOW, recordTimestamp: NOW + 1000 })).toEqual({
        at: occurredAt,
        receipt: NOW,
        basis: 'occurred',
      });
    }
  });

  it('files far-future, ancient and impossible times under the receipt', () => {
    for (const occurredAt of [NOW + 25 * HOUR, NOW - 31 * DAY, 0, -1, 4e15, Number.NaN]) {
      expect(routingTime({ occurredAt, receivedAt: NOW, recordTimestamp: NOW })).toMatchObject({
        at: NOW,
        basis: 'receipt',
      });
    }
  });

  it('measures from the record time when the event has no receipt or a forged future one', () => {
    expect(routingTime({ occurredAt: NOW, receivedAt: null, recordTimestamp: NOW }).basis).toBe('occurred');
    const forged = routingTime({
      occurredAt: NOW + 400 * DAY,
      receivedAt: NOW + 400 * DAY,
      recordTimestamp: NOW,
    });
    expect(forged).toEqual({ at: NOW, receipt: NOW, basis: 'receipt' });
  });

  it('takes a configured window', () => {
    const window = { aheadMs: HOUR, behindMs: DAY };
    expect(
      routingTime({ occurredAt: NOW - 2 * DAY, receivedAt: NOW, recordTimestamp: NOW }, window).basis,
    ).toBe('receipt');
  });
});
