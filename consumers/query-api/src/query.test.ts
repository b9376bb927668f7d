import { describe, expect, it } from 'vitest';
import {
  buildQuery,
  csvCell,
  decodeCursor,
  encodeCursor,
  filtersSchema,
  parseTime,
  tenantScope,
} from './query.ts';

const now = Date.parse('2026-11-24T12:00:00Z');

describe('query building', () => {
  it('always restricts to the token tenants, and refuses a tenant outside them', () => {
    expect(buildQuery({ size: 10 }, ['acme'], now).bool.filter).toContainEqual({
      terms: { 'organization.id': ['acme'] },
    });
    expect(buildQuery({ size: 10 }, ['*'], now).bool.filter).toEqual([]);
    expect(() => tenantScope(['acme'], 'globex')).toThrowError(/may not read tenant globex/);
    expect(tenantScope(['*'], 'globex')).toEqual(['globex']);
  });

  it('turns filters into ECS field queries, with * wildcards on actions', () => {
    const filter = buildQuery(
      { size: 10, action: 'agent.flow.*', outcome: 'denied', correlation_id: 'c1', from: '24h' },
      ['*'],
      now,
    ).bool.filter;
    expect(filter).toContainEqual({ wildcard: { 'event.action': { value: 'agent.flow.*' } } });
    expect(filter).toContainEqual({ term: { 'audit.outcome': 'denied' } });
    expect(filter).toContainEqual({ term: { 'audit.correlation_id': 'c1' } });
    expect(filter).toContainEqual({ range: { '@timestamp': { gte: '2026-11-23T12:00:00.000Z' } } });
  });

  it('finds a secret by its keyed fingerprint only (search --secret-value)', () => {
    const filter = buildQuery({ size: 10, secret_fingerprint: '3f9a1c2e4b5d,00aa11bb22cc' }, ['*'], now).bool
      .filter;
    expect(filter).toContainEqual({
      terms: { 'audit.redaction.fingerprints': ['3f9a1c2e4b5d', '00aa11bb22cc'] },
    });
    expect(filtersSchema.safeParse({ secret_fingerprint: 'hunter2' }).success).toBe(false);
  });

  it('reads relative and ISO times and names a bad one', () => {
    expect(parseTime('30m', now)).toBe('2026-11-24T11:30:00.000Z');
    expect(parseTime('2026-11-01T00:00:00+01:00', now)).toBe('2026-10-31T23:00:00.000Z');
    expect(() => parseTime('yesterday', now)).toThrowError(/neither an ISO time nor a duration/);
  });

  it('round-trips cursors and rejects forged ones', () => {
    expect(decodeCursor(encodeCursor([1700000000000, 'id-1']) as string)).toEqual([1700000000000, 'id-1']);
    expect(() => decodeCursor('not-a-cursor')).toThrowError(/cursor/);
  });
});

describe('csvCell', () => {
  it.each([
    ['=HYPERLINK("http://evil")', `"'=HYPERLINK(""http://evil"")"`],
    ['+1+1', `"'+1+1"`],
    ['-2', `"'-2"`],
    ['@SUM(A1)', `"'@SUM(A1)"`],
    ['\tcmd', `"'\tcmd"`],
    ['\rcmd', `"'\rcmd"`],
    ['plain, "quoted"', '"plain, ""quoted"""'],
  ])('neutralises %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('writes objects as JSON and nothing for null', () => {
    expect(csvCell({ a: 1 })).toBe('"{""a"":1}"');
    expect(csvCell(null)).toBe('""');
  });
});
