import { describe, expect, it } from 'vitest';
import {
  filtersFrom,
  intervalFor,
  isoFromLocal,
  localFromIso,
  queryString,
  withDefaults,
} from './filters.ts';

describe('console filters in the URL', () => {
  it('round-trip through the query string, dropping empty and unknown parameters', () => {
    const filters = filtersFrom('?action=git.*&actor=&outcome=denied&evil=1&tenant_id=acme');
    expect(filters).toEqual({ action: 'git.*', outcome: 'denied', tenant_id: 'acme' });
    expect(queryString(filters, { cursor: 'abc', page: undefined })).toBe(
      '?action=git.*&outcome=denied&tenant_id=acme&cursor=abc',
    );
    expect(filtersFrom(queryString(filters))).toEqual(filters);
    expect(queryString({})).toBe('');
  });

  it('default to the last 24 hours unless the URL names a range', () => {
    expect(withDefaults({ actor: 'a' })).toEqual({ actor: 'a', from: '24h' });
    expect(withDefaults({ to: '2026-12-06T00:00:00Z' })).toEqual({ to: '2026-12-06T00:00:00Z' });
  });

  it('choose a chart interval for the range', () => {
    expect(intervalFor('15m')).toBe('1m');
    expect(intervalFor('24h')).toBe('30m');
    expect(intervalFor('7d')).toBe('6h');
    expect(intervalFor('30d')).toBe('1d');
    expect(intervalFor('2026-12-01T00:00:00Z')).toBe('1h');
  });

  it('show an absolute time in the picker and read it back', () => {
    const iso = '2026-12-06T10:11:12.000Z';
    expect(localFromIso(iso)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(isoFromLocal(localFromIso(iso))).toBe(iso);
    expect(localFromIso('24h')).toBe('');
    expect(localFromIso(undefined)).toBe('');
  });
});
