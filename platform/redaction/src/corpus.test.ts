import { randomBytes } from 'node:crypto';
import { type AuditEvent, toAuditEvent, toJsonForm } from '@auditflow/schemas';
import { describe, expect, it } from 'vitest';
import { alteredValues, leakedFragments, readableText } from '../../../test/support/corpus/check.ts';
import { keepCases, secretCases } from '../../../test/support/corpus/secrets.ts';
import { createSanitizerContext } from './context.ts';
import { sanitizeEvent } from './sanitize.ts';

/**
 * The redaction corpus (issue 13, part 6) through the pure transform: no secret nor a
 * 10-character fragment of one anywhere in the sanitized event's JSON form; every keep value
 * byte for byte, as often as before. One test per case, so a failure names the case and what
 * leaked or changed.
 */

const ctx = createSanitizerContext({ pseudonymKey: randomBytes(32), redactionKey: randomBytes(32) });

const record = (input: unknown, i: number): AuditEvent =>
  toAuditEvent(input, {
    id: `0192f7a4-6b1e-7c3d-9a4b-${String(i).padStart(12, '0')}`,
    occurredAt: 1,
    producerId: 'corpus',
    sequence: i,
  });

const seen = (event: AuditEvent): string => readableText(toJsonForm(event));

const secrets = secretCases();
const keeps = keepCases();

describe('redaction corpus', () => {
  it('has a few hundred uniquely named cases', () => {
    const names = [...secrets, ...keeps].map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(secrets.length).toBeGreaterThanOrEqual(300);
    expect(keeps.length).toBeGreaterThanOrEqual(250);
  });

  describe('secrets vanish', () => {
    it.each(secrets.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
      const raw = record(c.event, i);
      const before = seen(raw);
      // The check can fail: every secret is really in the event before sanitizing.
      for (const secret of c.secrets) expect(before, `planted: ${secret}`).toContain(secret);
      const after = seen(sanitizeEvent(raw, ctx));
      expect(leakedFragments(c.secrets, after), 'secret fragments left in the sanitized event').toEqual([]);
      expect(alteredValues(c.keep ?? [], before, after), 'ordinary values altered').toEqual([]);
    });
  });

  describe('ordinary values survive byte for byte', () => {
    it.each(keeps.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
      const raw = record(c.event, 10_000 + i);
      const before = seen(raw);
      for (const value of c.keep) expect(before, `planted: ${value}`).toContain(value);
      const after = seen(sanitizeEvent(raw, ctx));
      expect(alteredValues(c.keep, before, after), 'ordinary values altered').toEqual([]);
    });
  });
});
