import { randomBytes } from 'node:crypto';
import { type AuditEvent, toAuditEvent, toJsonForm } from '@auditflow/schemas';
import { describe, expect, it } from 'vitest';
import { fragmentsOf, keepCases, secretCases } from '../../../test/support/corpus/secrets.ts';
import { createSanitizerContext } from './context.ts';
import { sanitizeEvent } from './sanitize.ts';

/**
 * The redaction corpus (issue 13, part 6) through the pure transform: no secret nor a
 * 10-character fragment of one anywhere in the sanitized event's JSON form; every keep value
 * byte for byte. One test per case, so a failure names the case and what leaked.
 */

const ctx = createSanitizerContext({ pseudonymKey: randomBytes(32), redactionKey: randomBytes(32) });

const record = (input: unknown, i: number): AuditEvent =>
  toAuditEvent(input, {
    id: `0192f7a4-6b1e-7c3d-9a4b-${String(i).padStart(12, '0')}`,
    occurredAt: 1,
    producerId: 'corpus',
    sequence: i,
  });

/** Every string of a value (keys too), with JSON held in strings opened up as well. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    out.push(value);
    const trimmed = value.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        strings(JSON.parse(value), out);
      } catch {
        // not JSON: the string itself is already collected
      }
    }
  } else if (Array.isArray(value)) {
    for (const item of value) strings(item, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      out.push(key);
      strings(inner, out);
    }
  }
  return out;
}

/** What a reader of the event sees: its JSON text and every string in it, unescaped. */
function haystackOf(event: AuditEvent): string {
  const form = toJsonForm(event);
  return [JSON.stringify(form), ...strings(form)].join('\n\u0000\n');
}

/** How often `value` occurs in `text`: a keep value must occur as often after sanitizing as before. */
function occurrences(text: string, value: string): number {
  let n = 0;
  for (let at = text.indexOf(value); at >= 0; at = text.indexOf(value, at + value.length)) n++;
  return n;
}

const altered = (values: readonly string[], before: string, after: string): string[] =>
  values.filter((value) => occurrences(after, value) < occurrences(before, value));

const secrets = secretCases();
const keeps = keepCases();

describe('redaction corpus', () => {
  it('has a few hundred uniquely named cases', () => {
    const names = [...secrets, ...keeps].map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(secrets.length).toBeGreaterThanOrEqual(250);
    expect(keeps.length).toBeGreaterThanOrEqual(150);
  });

  describe('secrets vanish', () => {
    it.each(secrets.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
      const raw = record(c.event, i);
      const before = haystackOf(raw);
      // The check can fail: every secret is really in the event before sanitizing.
      for (const secret of c.secrets) expect(before, `planted: ${secret}`).toContain(secret);
      const after = haystackOf(sanitizeEvent(raw, ctx));
      const leaked = c.secrets.flatMap((s) => fragmentsOf(s).filter((fragment) => after.includes(fragment)));
      expect(leaked, 'secret fragments left in the sanitized event').toEqual([]);
      expect(altered(c.keep ?? [], before, after), 'ordinary values altered').toEqual([]);
    });
  });

  describe('ordinary values survive byte for byte', () => {
    it.each(keeps.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
      const raw = record(c.event, 10_000 + i);
      const before = haystackOf(raw);
      for (const value of c.keep) expect(before, `planted: ${value}`).toContain(value);
      const after = haystackOf(sanitizeEvent(raw, ctx));
      expect(altered(c.keep, before, after), 'ordinary values altered').toEqual([]);
    });
  });
});
