/**
 * Page walks over `GET /v1/events` (issue 14, item 4). Pages are capped (`size` ≤ 1000), but a
 * client following cursors can read as much as an export; so the rows each client is served
 * are counted, and every `thresholdRows` of them within one walk are audited as an export
 * (`audit.log.exported`, `details.via: "paging"`). A walk is a client's run of `/v1/events`
 * requests with no gap longer than `idleMs`; every page counts, with or without a cursor, so
 * re-issuing first pages with moving time bounds is counted the same as following cursors.
 * State is per configured client (the token's id): bounded by the clients file, never by traffic.
 */

export interface PageWalkOptions {
  /** Rows served in one walk that make one audit record (default 5,000). */
  readonly thresholdRows: number;
  /** A pause longer than this ends a walk (default 15 minutes). */
  readonly idleMs: number;
  /** Distinct filter sets kept per walk for the audit record (the latest ones). */
  readonly maxFilterSets?: number;
}

/** What the audit record of a walk says. */
export interface PageWalkReport {
  readonly rows: number;
  readonly pages: number;
  readonly started_at: string;
  readonly last_page_at: string;
  /** The distinct filter sets the walk's pages used (the latest `maxFilterSets`). */
  readonly filters: readonly Record<string, unknown>[];
  readonly threshold_rows: number;
}

interface Walk {
  rows: number;
  pages: number;
  startedAt: number;
  lastAt: number;
  filters: Map<string, Record<string, unknown>>;
}

export class PageWalks {
  private readonly walks = new Map<string, Walk>();

  constructor(private readonly options: PageWalkOptions) {
    if (!(options.thresholdRows >= 1)) throw new RangeError('thresholdRows is at least 1');
  }

  /**
   * Counts one page served to `clientId`. Returns the report to audit when this page brings the
   * walk to the threshold; the count then starts again, so a walk of n rows is audited
   * floor(n / threshold) times and one audit record never stands for more than a threshold.
   */
  record(
    clientId: string,
    filters: Record<string, unknown>,
    rows: number,
    now = Date.now(),
  ): PageWalkReport | undefined {
    let walk = this.walks.get(clientId);
    if (!walk || now - walk.lastAt > this.options.idleMs) {
      walk = { rows: 0, pages: 0, startedAt: now, lastAt: now, filters: new Map() };
      this.walks.set(clientId, walk);
    }
    walk.rows += rows;
    walk.pages += 1;
    walk.lastAt = now;
    const key = JSON.stringify(filters);
    walk.filters.delete(key);
    walk.filters.set(key, filters);
    const keep = this.options.maxFilterSets ?? 5;
    for (const old of walk.filters.keys()) {
      if (walk.filters.size <= keep) break;
      walk.filters.delete(old);
    }
    if (walk.rows < this.options.thresholdRows) return undefined;
    const report: PageWalkReport = {
      rows: walk.rows,
      pages: walk.pages,
      started_at: new Date(walk.startedAt).toISOString(),
      last_page_at: new Date(now).toISOString(),
      filters: [...walk.filters.values()],
      threshold_rows: this.options.thresholdRows,
    };
    this.walks.set(clientId, { rows: 0, pages: 0, startedAt: now, lastAt: now, filters: new Map() });
    return report;
  }
}
