import { describe, expect, it } from 'vitest';
import { PageWalks } from './walks.ts';

const t0 = Date.parse('2026-03-01T12:00:00Z');

describe('page walks over /v1/events are audited like exports', () => {
  it('reports once a walk reaches the threshold, then counts again', () => {
    const walks = new PageWalks({ thresholdRows: 250, idleMs: 60_000 });
    const reports = [];
    for (let page = 0; page < 10; page++) {
      const r = walks.record('analyst', { action: 'git.*' }, 100, t0 + page * 1000);
      if (r) reports.push(r);
    }
    // 1,000 rows: reported at 300 (pages 1-3), 600 (4-6) and 900 (7-9); 100 left counting.
    expect(reports.map((r) => [r.rows, r.pages])).toEqual([
      [300, 3],
      [300, 3],
      [300, 3],
    ]);
    expect(reports[0]).toMatchObject({
      started_at: new Date(t0).toISOString(),
      last_page_at: new Date(t0 + 2000).toISOString(),
      filters: [{ action: 'git.*' }],
      threshold_rows: 250,
    });
  });

  it('a pause longer than idleMs ends the walk', () => {
    const walks = new PageWalks({ thresholdRows: 250, idleMs: 60_000 });
    expect(walks.record('analyst', {}, 200, t0)).toBeUndefined();
    expect(walks.record('analyst', {}, 200, t0 + 61_000)).toBeUndefined(); // a new walk
    expect(walks.record('analyst', {}, 50, t0 + 62_000)?.rows).toBe(250);
  });

  it('counts per client, and every page whatever its filters (moving bounds do not escape it)', () => {
    const walks = new PageWalks({ thresholdRows: 300, idleMs: 60_000, maxFilterSets: 2 });
    expect(walks.record('a', { to: '2026-03-01T11:00:00Z' }, 100, t0)).toBeUndefined();
    expect(walks.record('b', {}, 290, t0)).toBeUndefined();
    expect(walks.record('a', { to: '2026-03-01T10:00:00Z' }, 100, t0 + 1)).toBeUndefined();
    const report = walks.record('a', { to: '2026-03-01T09:00:00Z' }, 100, t0 + 2);
    expect(report?.rows).toBe(300);
    expect(report?.filters).toEqual([{ to: '2026-03-01T10:00:00Z' }, { to: '2026-03-01T09:00:00Z' }]);
  });

  it('refuses a threshold below one row', () => {
    expect(() => new PageWalks({ thresholdRows: 0, idleMs: 1 })).toThrow(RangeError);
  });
});
