/**
 * The search as it lives in the URL (`/console/search?from=24h&action=git.*`), so a link can be
 * shared; the same parameter names as the query API's `GET /v1/events`.
 */
export const FILTER_KEYS = [
  'from',
  'to',
  'actor',
  'action',
  'target',
  'outcome',
  'tenant_id',
  'correlation_id',
  'q',
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Partial<Record<FilterKey, string>>;

export const OUTCOMES = ['success', 'failure', 'denied', 'unknown'] as const;
/** Relative ranges offered by the time picker (the API takes `15m`, `24h`, `7d` or ISO times). */
export const RELATIVE_RANGES = ['15m', '1h', '24h', '7d', '30d'] as const;
export const DEFAULT_RANGE = '24h';
/** Events per results page: enough to scan, small enough for the first page to come fast. */
export const PAGE_SIZE = 50;

/** The filters in a query string; empty values are dropped, unknown parameters ignored. */
export function filtersFrom(search: string): Filters {
  const params = new URLSearchParams(search);
  const out: Filters = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key)?.trim();
    if (value) out[key] = value;
  }
  return out;
}

/** A query string for the filters (plus extras such as `cursor`), stable in key order. */
export function queryString(filters: Filters, extra: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key]?.trim();
    if (value) params.set(key, value);
  }
  for (const [key, value] of Object.entries(extra)) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The filters with the default time range when the URL names none. */
export function withDefaults(filters: Filters): Filters {
  return filters.from || filters.to ? filters : { ...filters, from: DEFAULT_RANGE };
}

/** A `datetime-local` input's value (local time) as the ISO time the API takes, or undefined. */
export function isoFromLocal(value: string): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** An ISO time as a `datetime-local` input shows it (local time, seconds), or '' if not a time. */
export function localFromIso(iso: string | undefined): string {
  const ms = iso ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) return '';
  const local = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
}

/** A histogram interval that gives a readable number of points for a relative range. */
export function intervalFor(from: string | undefined): string {
  const match = /^(\d+)([mhd])$/.exec(from ?? '');
  if (!match) return '1h';
  const minutes = Number(match[1]) * { m: 1, h: 60, d: 1440 }[match[2] as 'm' | 'h' | 'd'];
  if (minutes <= 60) return '1m';
  if (minutes <= 24 * 60) return '30m';
  if (minutes <= 7 * 24 * 60) return '6h';
  return '1d';
}
