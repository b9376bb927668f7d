import { routingTime } from '@auditflow/kafka';
import { toAuditEvent } from '@auditflow/schemas';
import { describe, expect, it } from 'vitest';
import { enrichmentOf } from '../../../test/support/records.ts';
import { sameEvent } from './indexer.ts';
import { planIndices } from './routing.ts';
import { checkIndexPrefix, indexFor, indexNameProblem } from './template.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 11, 1, 12);
const daily = { mode: 'daily_indices', prefix: 'audit-events' } as const;

/** The index an event lands in, derived the way the indexer does. */
const indexOf = (occurredAt: number, receivedAt: number | null = NOW) => {
  const routed = routingTime({ occurredAt, receivedAt, recordTimestamp: NOW });
  return indexFor(daily, routed.at);
};

describe('index names', () => {
  it('come only from the validated prefix and a date in the window', () => {
    expect(indexOf(NOW - 2 * DAY)).toBe('audit-events-2026.11.29');
    expect(indexOf(NOW + 23 * HOUR)).toBe('audit-events-2026.12.02');
    // Far future, ancient, before 1970, beyond any date field, not a number: the receipt day.
    for (const at of [NOW + 3 * DAY, NOW - 400 * DAY, Date.UTC(1900, 0, 1), -1, 4e15, 9e15, Number.NaN]) {
      expect(indexOf(at)).toBe('audit-events-2026.12.01');
    }
    // No ingest stamp (older events): the window is measured from the record time.
    expect(indexOf(NOW - 400 * DAY, null)).toBe('audit-events-2026.12.01');
    for (const at of [NOW - 40 * DAY, NOW, NOW + 5 * DAY, 4e15]) {
      expect(indexNameProblem(indexOf(at))).toBeUndefined();
    }
  });

  it('refuses a prefix that could not name an index, with the rule it breaks', () => {
    expect(checkIndexPrefix('audit-events-prod')).toBe('audit-events-prod');
    const bad: [string, RegExp][] = [
      ['Audit-Events', /upper-case/],
      ['audit events', /space/],
      ['audit/events', /contains/],
      ['audit..\\x', /contains/],
      ['-audit', /starts with/],
      ['_audit', /starts with/],
      ['+audit', /starts with/],
      ['..', /is \. or \.\./],
      ['audit\u0007x', /control/],
      ['a'.repeat(256), /255 bytes/],
      ['租户'.repeat(50), /255 bytes|upper|200 bytes/],
      ['a'.repeat(201), /200 bytes/],
      ['audit#1', /contains/],
      ['audit,*', /contains/],
    ];
    for (const [prefix, rule] of bad) expect(() => checkIndexPrefix(prefix), prefix).toThrow(rule);
  });
});

describe('planIndices', () => {
  const choice = (day: number) => ({
    wanted: `audit-events-2026.11.${String(day).padStart(2, '0')}`,
    receipt: 'audit-events-2026.12.01',
  });

  it('opens at most the cap of new indices per batch and files the rest under the receipt day', () => {
    const choices = [1, 2, 3, 4, 5, 6].map(choice);
    const known = new Set(['audit-events-2026.11.06']);
    expect(planIndices(choices, known, 2)).toEqual([
      'audit-events-2026.11.01',
      'audit-events-2026.11.02',
      'audit-events-2026.12.01',
      'audit-events-2026.12.01',
      'audit-events-2026.12.01',
      'audit-events-2026.11.06', // exists already: not capped
    ]);
    expect(planIndices([choice(1), choice(1), choice(2)], new Set(), 1)).toEqual([
      'audit-events-2026.11.01',
      'audit-events-2026.11.01',
      'audit-events-2026.12.01',
    ]);
  });
});

describe('sameEvent', () => {
  const event = toAuditEvent(
    {
      action: 'git.push',
      actor: { type: 'user', id: 'u' },
      outcome: 'success',
      tenant_id: 'acme',
      service: { name: 's' },
    },
    { id: '0192f7a4-6b1e-7c3d-9a4b-8c2d1e0f3a5b', occurredAt: NOW, producerId: 'p', sequence: 3 },
  );
  const enriched = (fingerprint: string) => ({ ...event, enrichment: enrichmentOf({ fingerprint }) });

  it('matches a redelivery by fingerprint and nothing else', () => {
    expect(sameEvent({ audit: { fingerprint: 'f1' } }, enriched('f1'))).toBe(true);
    expect(sameEvent({ audit: { fingerprint: 'f2' } }, enriched('f1'))).toBe(false);
    expect(sameEvent({ organization: { id: 'acme' } }, enriched('f1'))).toBe(false);
    expect(sameEvent(undefined, enriched('f1'))).toBe(false);
  });

  it('matches unenriched events only on tenant and producer stamp', () => {
    const stamp = { id: 'p', sequence: 3 };
    expect(sameEvent({ organization: { id: 'acme' }, audit: { producer: stamp } }, event)).toBe(true);
    expect(sameEvent({ organization: { id: 'globex' }, audit: { producer: stamp } }, event)).toBe(false);
    expect(
      sameEvent({ organization: { id: 'acme' }, audit: { producer: { id: 'p', sequence: 4 } } }, event),
    ).toBe(false);
  });
});
