import { loadRetentionPolicy } from '@auditflow/schemas';
import { describe, expect, it } from 'vitest';
import { lifecycleRules } from './retention.ts';
import {
  classPolicies,
  holdInPeriod,
  inferClass,
  lifecycleStateOf,
  summariseClass,
} from './retention-report.ts';

const DAY = 86_400_000;
const policy = loadRetentionPolicy();
const hour = Date.parse('2026-01-10T10:00:00Z');

/** An object's state as the report reads it from the store: events are ten bytes each. */
const object = (
  at: number,
  events: number,
  retainUntil: number,
  lockMode: string,
  legalHold: boolean,
  storageClass: string,
) => ({
  hour: at,
  className: 'standard',
  events,
  bytes: events * 10,
  retainUntil,
  lockMode,
  lockUntil: retainUntil,
  legalHold,
  storageClass,
});

describe('retention report', () => {
  it('names the rules that choose each class and the default', () => {
    const classes = classPolicies(policy);
    expect(classes.get('standard')).toMatchObject({ days: 365, isDefault: true, match: [] });
    expect(classes.get('short')?.match).toEqual([{ action: ['llm.tokens.used', 'llm.cost.recorded'] }]);
    expect(classes.get('extended')?.match).toHaveLength(3);
  });

  it('infers a class from the retain-until date only when exactly one class fits the hour', () => {
    expect(inferClass(policy, hour, hour + 365 * DAY + 59 * 60_000)).toBe('standard');
    expect(inferClass(policy, hour, hour + 1095 * DAY)).toBe('extended');
    expect(inferClass(policy, hour, hour + 365 * DAY + 3_600_000)).toBeUndefined();
    const twins = { ...policy, classes: { ...policy.classes, other: { days: 90, transitions: [] } } };
    expect(inferClass(twins, hour, hour + 90 * DAY)).toBeUndefined();
  });

  it('compares the bucket lifecycle with the policy', () => {
    const [expected] = lifecycleRules(policy).filter((r) => r.ID === 'auditflow-standard');
    if (!expected) throw new Error('no standard rule');
    expect(lifecycleStateOf(expected, [])).toBe('missing');
    expect(lifecycleStateOf(expected, [expected])).toBe('applied');
    expect(lifecycleStateOf(expected, [{ ...expected, Transitions: undefined }])).toBe('applied-expiry-only');
    expect(lifecycleStateOf(expected, [{ ...expected, Expiration: { Days: 30 } }])).toBe('differs');
    expect(lifecycleStateOf(expected, [{ ...expected, Status: 'Disabled' }])).toBe('missing');
  });

  it('reports holds of the tenant that overlap the period', () => {
    const hold = {
      id: 'h',
      tenant: 'acme',
      from: '2026-01-01T00:00:00Z',
      to: '2026-02-01T00:00:00Z',
      reason: 'r',
    };
    const t = (iso: string) => Date.parse(iso);
    expect(holdInPeriod(hold, 'acme', t('2026-01-20T00:00:00Z'), t('2026-03-01T00:00:00Z'))).toBe(true);
    expect(holdInPeriod(hold, 'globex', t('2026-01-20T00:00:00Z'), t('2026-03-01T00:00:00Z'))).toBe(false);
    expect(holdInPeriod(hold, undefined, t('2026-02-02T00:00:00Z'), t('2026-03-01T00:00:00Z'))).toBe(false);
    expect(holdInPeriod(hold, undefined, Number.NEGATIVE_INFINITY, t('2026-01-01T00:00:00Z'))).toBe(true);
  });

  it('sums objects, locks, holds and dates per class', () => {
    const now = hour + 400 * DAY;
    const report = summariseClass(
      'standard',
      [
        object(hour, 10, hour + 365 * DAY, 'GOVERNANCE', true, 'STANDARD'),
        object(hour + 100 * DAY, 5, hour + 465 * DAY, 'COMPLIANCE', false, 'GLACIER'),
      ],
      now,
      classPolicies(policy).get('standard'),
      { rule: 'auditflow-standard', state: 'applied' },
    );
    expect(report).toMatchObject({
      objects: 2,
      events: 15,
      bytes: 150,
      oldestHour: new Date(hour).toISOString(),
      newestHour: new Date(hour + 100 * DAY).toISOString(),
      locked: { GOVERNANCE: 0, COMPLIANCE: 1 },
      unlocked: 1,
      pastRetention: 1,
      legalHoldObjects: 1,
      storageClasses: { STANDARD: 1, GLACIER: 1 },
    });
    expect(
      summariseClass('short', [], now, undefined, { rule: 'auditflow-short', state: 'missing' }),
    ).toMatchObject({
      objects: 0,
      events: 0,
    });
  });
});
