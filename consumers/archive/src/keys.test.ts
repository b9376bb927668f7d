import { describe, expect, it } from 'vitest';
import { avroRecord } from '../../../test/support/records.ts';
import {
  digestKey,
  hourPrefix,
  MAX_KEY_BYTES,
  objectKey,
  objectKeyProblem,
  parseObjectKey,
  tenantSegment,
} from './keys.ts';
import { planRoll, rollRecord } from './roll.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 11, 1, 12, 30);
/** The longest topic name Kafka allows: keys must fit with it. */
const LONGEST_TOPIC = 't'.repeat(249);

const keyFor = (
  tenant: string,
  occurredAt = NOW,
  receivedAt: number | null = NOW,
  topic = 'audit.clean.v1',
) => {
  const record = rollRecord(
    '7',
    NOW,
    avroRecord({
      tenant_id: tenant,
      occurred_at: occurredAt,
      ingest: receivedAt === null ? null : { via: 'gateway', client_id: 'c', received_at: receivedAt },
    }),
    '{}',
    {
      retentionClass: 'standard',
      days: 365,
    },
  );
  const [object] = planRoll(topic, 5, [record], []);
  return object?.key as string;
};

describe('tenant segments', () => {
  it('keep ordinary ids readable and escape every byte outside [A-Za-z0-9._-]', () => {
    expect(tenantSegment('acme')).toBe('acme');
    expect(tenantSegment('acme-prod_1.eu')).toBe('acme-prod_1.eu');
    expect(tenantSegment('a/b c')).toBe('a%2Fb%20c');
    expect(tenantSegment('..')).toBe('..');
    expect(tenantSegment('../../etc')).toBe('..%2F..%2Fetc');
    expect(tenantSegment('x\u0000\u001b[31m\ny')).toBe('x%00%1B%5B31m%0Ay');
    expect(tenantSegment('~x*')).toBe('%7Ex%2A'); // ~ is reserved for hashed segments
    expect(tenantSegment('租户')).toBe('%E7%A7%9F%E6%88%B7');
    expect(parseObjectKey(keyFor('租户 a/b'))?.tenant).toBe('租户 a/b');
  });

  it('hash ids whose escaped form is long or empty, so no key outgrows S3', () => {
    const cjk = '租'.repeat(128); // accepted by the gateway: 384 bytes, 1,152 escaped
    const segment = tenantSegment(cjk);
    expect(segment).toMatch(/^~[0-9a-f]{64}$/);
    expect(tenantSegment(cjk)).toBe(segment); // deterministic
    expect(tenantSegment(`${cjk}x`)).not.toBe(segment);
    expect(tenantSegment('')).toMatch(/^~[0-9a-f]{64}$/);
    const key = keyFor(cjk);
    expect(key.startsWith(`tenant=${segment}/date=2026-12-01/hour=12/`)).toBe(true);
    expect(parseObjectKey(key)).toMatchObject({ tenant: segment, segment });
    expect(hourPrefix(cjk, Date.UTC(2026, 11, 1, 12))).toBe(`tenant=${segment}/date=2026-12-01/hour=12/`);
  });

  it('keep the worst key within 1,024 bytes under a 512-byte store folder and the longest topic', () => {
    const worst = [
      '租'.repeat(128),
      '\u0007'.repeat(42),
      '/'.repeat(42),
      'a'.repeat(10_000),
      '\ud800'.repeat(3),
    ];
    for (const tenant of worst) {
      const key = `${'p/'.repeat(256)}${keyFor(tenant, NOW, NOW, LONGEST_TOPIC)}`;
      expect(Buffer.byteLength(key), tenant.slice(0, 5)).toBeLessThanOrEqual(MAX_KEY_BYTES);
      expect(objectKeyProblem(key)).toBeUndefined();
    }
    expect(digestKey(LONGEST_TOPIC, 5, '1', '2').length).toBeLessThan(400);
  });

  it('names what is wrong with a key that cannot be written', () => {
    expect(objectKeyProblem(`tenant=${'a'.repeat(1100)}/x`)).toMatch(/over S3's 1024/);
    expect(objectKeyProblem('tenant=a\u0001/x')).toMatch(/control/);
    expect(objectKeyProblem('tenant=a/../x')).toMatch(/\.\./);
  });
});

describe('key hours', () => {
  it('come from the event time inside the window and from the receipt outside it', () => {
    expect(keyFor('acme', NOW - 2 * DAY)).toContain('/date=2026-11-29/hour=12/');
    expect(keyFor('acme', NOW + 23 * HOUR)).toContain('/date=2026-12-02/hour=11/');
    for (const far of [NOW + 25 * HOUR, NOW - 31 * DAY, Date.UTC(1, 0, 1), 0, -5, 4e15, 9e15]) {
      expect(keyFor('acme', far)).toContain('/date=2026-12-01/hour=12/');
    }
    // A forged receipt in the future is not believed: the record's own time stands in.
    expect(keyFor('acme', NOW + 400 * DAY, NOW + 400 * DAY)).toContain('/date=2026-12-01/hour=12/');
    // Older events without an ingest stamp: the window is measured from the record time.
    expect(keyFor('acme', NOW - 400 * DAY, null)).toContain('/date=2026-12-01/hour=12/');
  });

  it('refuse an hour no date can name', () => {
    expect(() =>
      objectKey({ tenant: 'a', hour: 4e15, topic: 't', partition: 0, firstOffset: '1', lastOffset: '1' }),
    ).toThrow(RangeError);
  });
});
