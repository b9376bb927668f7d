import { describe, expect, it } from 'vitest';
import { digestCoverage } from './coverage.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');

describe('digest coverage', () => {
  it('an hour is covered only when it has objects and every one is in a digest', () => {
    const coverage = digestCoverage({
      eventHours: [T0, T0 + H, T0 + 2 * H, T0 + 3 * H + 5],
      objects: [
        { hour: T0, digested: true },
        { hour: T0, digested: true },
        { hour: T0 + H, digested: true },
        { hour: T0 + H, digested: false },
        { hour: T0 + 3 * H, digested: true },
        // An hour without events (all its events deleted from the index) is not asked about.
        { hour: T0 + 9 * H, digested: false },
      ],
    });
    expect(coverage).toEqual({
      hoursWithEvents: 4,
      hoursDigested: 2,
      hoursWithoutDigest: ['2026-03-01T01:00:00.000Z', '2026-03-01T02:00:00.000Z'],
    });
  });

  it('no events, nothing to cover', () => {
    expect(digestCoverage({ eventHours: [], objects: [] })).toEqual({
      hoursWithEvents: 0,
      hoursDigested: 0,
      hoursWithoutDigest: [],
    });
  });
});
