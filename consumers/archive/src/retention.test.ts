import { loadRetentionPolicy } from '@auditflow/schemas';
import { describe, expect, it } from 'vitest';
import { tenantSegment } from './keys.ts';
import { CLASS_TAG, holdOverlapsHour, lifecycleRules, sweepVerdict } from './retention.ts';

const hour = Date.parse('2025-01-10T10:00:00Z');
const hold = {
  id: 'h1',
  tenant: 'acme',
  from: '2025-01-10T10:30:00Z',
  to: '2025-01-10T12:00:00Z',
  reason: 'case 7',
};

describe('retention', () => {
  it('makes one lifecycle rule per class, selected by the class tag', () => {
    const rules = lifecycleRules(loadRetentionPolicy(), 'prod/');
    const extended = rules.find((r) => r.ID === 'auditflow-extended');
    expect(extended?.Expiration?.Days).toBe(1095);
    expect(extended?.Filter?.And?.Prefix).toBe('prod/tenant=');
    expect(extended?.Filter?.And?.Tags).toEqual([{ Key: CLASS_TAG, Value: 'extended' }]);
    expect(extended?.Transitions?.map((t) => t.StorageClass)).toEqual(['STANDARD_IA', 'DEEP_ARCHIVE']);
    expect(rules.find((r) => r.ID === 'auditflow-standard')?.Expiration?.Days).toBe(365);
  });

  it('sweeps only objects past retention and under no hold', () => {
    const now = Date.parse('2026-11-24T00:00:00Z');
    expect(sweepVerdict({ segment: 'acme', hour, retainUntil: now + 1 }, [], now)).toBe('retained');
    expect(sweepVerdict({ segment: 'acme', hour, retainUntil: now - 1 }, [], now)).toBe('expired');
    expect(sweepVerdict({ segment: 'acme', hour, retainUntil: now - 1 }, [hold], now)).toBe('held');
    expect(sweepVerdict({ segment: 'globex', hour, retainUntil: now - 1 }, [hold], now)).toBe('expired');
  });

  it('matches holds on long tenant ids by their hashed key segment', () => {
    const long = '租'.repeat(128);
    const segment = tenantSegment(long);
    expect(segment).toMatch(/^~[0-9a-f]{64}$/);
    const now = Date.parse('2026-11-24T00:00:00Z');
    expect(sweepVerdict({ segment, hour, retainUntil: now - 1 }, [{ ...hold, tenant: long }], now)).toBe(
      'held',
    );
    expect(sweepVerdict({ segment, hour, retainUntil: now - 1 }, [hold], now)).toBe('expired');
  });

  it('holds an hour object when the hold touches any part of the hour', () => {
    expect(holdOverlapsHour(hold, 'acme', hour)).toBe(true); // starts mid-hour
    expect(holdOverlapsHour(hold, 'acme', hour + 2 * 3_600_000)).toBe(true); // ends at its first instant
    expect(holdOverlapsHour(hold, 'acme', hour + 3 * 3_600_000)).toBe(false);
    expect(holdOverlapsHour(hold, 'acme', hour - 3_600_000)).toBe(false);
  });
});
