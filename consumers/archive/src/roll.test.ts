import { describe, expect, it } from 'vitest';
import { avroRecord, enrichmentOf } from '../../../test/support/records.ts';
import { parseObjectKey } from './keys.ts';
import { InvalidRecordError, planRoll, type RollRecord, rollIsDue, rollRecord } from './roll.ts';

const at = (iso: string) => Date.parse(iso);
const record = (offset: number, tenant: string, occurred: string, days = 365): RollRecord => ({
  offset: String(offset),
  timestamp: 1000 + offset,
  tenant,
  filedAt: at(occurred),
  retentionClass: days === 365 ? 'standard' : 'extended',
  retentionDays: days,
  line: `{"offset":${offset}}`,
});

describe('planRoll', () => {
  const records = [
    record(10, 'acme', '2026-11-24T10:59:59Z'),
    record(11, 'globex', '2026-11-24T10:10:00Z'),
    record(12, 'acme', '2026-11-24T11:00:00Z', 1095),
    record(14, 'acme', '2026-11-24T10:01:00Z'),
  ];

  it('splits a roll into one object per tenant and hour, keyed by the roll range, deterministically', () => {
    const objects = planRoll('audit.clean.v1', 4, records, []);
    expect(objects.map((o) => o.key)).toEqual([
      'tenant=acme/date=2026-11-24/hour=10/audit.clean.v1+4+00000000000000000010-00000000000000000014.ndjson.gz',
      'tenant=acme/date=2026-11-24/hour=11/audit.clean.v1+4+00000000000000000010-00000000000000000014.ndjson.gz',
      'tenant=globex/date=2026-11-24/hour=10/audit.clean.v1+4+00000000000000000010-00000000000000000014.ndjson.gz',
    ]);
    expect(objects[0]?.body).toBe('{"offset":10}\n{"offset":14}\n');
    expect(objects[1]).toMatchObject({ events: 1, retentionClass: 'extended' });
    expect(objects[1]?.retainUntil).toBe(at('2026-11-24T11:00:00Z') + 1095 * 86_400_000);
    expect(planRoll('audit.clean.v1', 4, records, [])).toEqual(objects);
    expect(parseObjectKey(objects[2]?.key as string)).toEqual({
      tenant: 'globex',
      segment: 'globex',
      hour: at('2026-11-24T10:00:00Z'),
      topic: 'audit.clean.v1',
      partition: 4,
      firstOffset: '10',
      lastOffset: '14',
    });
  });

  it('keeps one copy of an event delivered twice in a roll', () => {
    const first = { ...record(30, 'acme', '2026-11-24T10:00:00Z'), id: 'e1' };
    const again = { ...record(31, 'acme', '2026-11-24T10:00:00Z'), id: 'e1', line: '{"again":true}' };
    const other = { ...record(32, 'acme', '2026-11-24T10:00:00Z'), id: 'e2' };
    const [object] = planRoll('t', 0, [first, again, other], []);
    expect(object).toMatchObject({ events: 2, body: '{"offset":30}\n{"offset":32}\n' });
    expect(object?.key).toContain('+00000000000000000030-00000000000000000032.ndjson.gz');
  });

  it('archives both events when two tenants use the same id (a collision, not a redelivery)', () => {
    const acme = { ...record(40, 'acme', '2026-11-24T10:00:00Z'), id: 'same' };
    const globex = { ...record(41, 'globex', '2026-11-24T10:00:00Z'), id: 'same' };
    const objects = planRoll('t', 0, [acme, globex], []);
    expect(objects.map((o) => o.events)).toEqual([1, 1]);
  });

  it('marks objects a legal hold covers', () => {
    const hold = {
      id: 'h',
      tenant: 'globex',
      from: '2026-11-24T00:00:00Z',
      to: '2026-11-25T00:00:00Z',
      reason: 'r',
    };
    expect(planRoll('t', 0, records, [hold]).map((o) => o.legalHold)).toEqual([false, false, true]);
  });

  it('escapes tenant ids that would change the key shape', () => {
    const [object] = planRoll('t', 0, [record(1, 'a/b c', '2026-11-24T10:00:00Z')], []);
    expect(object?.key.startsWith('tenant=a%2Fb%20c/')).toBe(true);
    expect(parseObjectKey(object?.key as string)?.tenant).toBe('a/b c');
  });

  it('opens at most the cap of tenant/hour prefixes; further hours go to the receipt hour', () => {
    const receiptHour = at('2026-11-24T12:00:00Z');
    const spread = [0, 1, 2, 3, 4].map((h) => ({
      ...record(20 + h, 'acme', `2026-11-2${h}T05:00:00Z`),
      receiptHour,
    }));
    const keys = planRoll('t', 0, spread, [], 2).map((o) => o.key.split('/').slice(0, 3).join('/'));
    expect(keys).toEqual([
      'tenant=acme/date=2026-11-20/hour=05',
      'tenant=acme/date=2026-11-21/hour=05',
      'tenant=acme/date=2026-11-24/hour=12',
    ]);
    expect(planRoll('t', 0, spread, [], 2).at(-1)?.events).toBe(3);
  });

  it('refuses retention values the store could not take, naming the field', () => {
    const defaults = { retentionClass: 'standard', days: 365 };
    const enriched = (retention_class: string, retention_days: number) =>
      avroRecord({ enrichment: enrichmentOf({ retention_class, retention_days }) });
    expect(rollRecord('1', 0, enriched('extended', 1095), '{}', defaults).retentionDays).toBe(1095);
    for (const [cls, days, field] of [
      ['bad class\u0000', 365, 'retention_class'],
      ['x'.repeat(129), 365, 'retention_class'],
      ['standard', 0, 'retention_days'],
      ['standard', 2_147_483_647, 'retention_days'],
      ['standard', 1.5, 'retention_days'],
    ] as const) {
      expect(() => rollRecord('1', 0, enriched(cls, days), '{}', defaults)).toThrow(InvalidRecordError);
      expect(() => rollRecord('1', 0, enriched(cls, days), '{}', defaults)).toThrow(field);
    }
  });

  it('rolls by size, by record time and by waiting time', () => {
    const limits = { maxBytes: 100, maxAgeMs: 30_000 };
    const roll = { records: records.slice(0, 2), bytes: 50, openedAt: 0 };
    expect(rollIsDue(roll, limits, 1000)).toBe(false);
    expect(rollIsDue({ ...roll, bytes: 100 }, limits, 1000)).toBe(true);
    expect(rollIsDue(roll, limits, 30_000)).toBe(true);
    expect(rollIsDue({ ...roll, records: [] }, limits, 99_999)).toBe(false);
  });
});
