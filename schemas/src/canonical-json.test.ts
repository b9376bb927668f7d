import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.ts';
import { toAuditEvent, toJsonForm } from './json-form.ts';

// The reference implementation (the package the pipeline used before): a dev dependency only.
const canonicalize = createRequire(import.meta.url)('canonicalize') as (value: unknown) => string;

/** A small seeded PRNG (mulberry32): the same values on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = [
  'a',
  'B',
  'b',
  'é',
  '\u20ac',
  '\ud83d\ude00',
  '10',
  '2',
  '1',
  '',
  'a\u0000b',
  'key with space',
  '\ufb33',
];
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  1e21,
  1e-7,
  333333333.3333333,
  5e-324,
  1.7976931348623157e308,
  0.1 + 0.2,
  -1e-300,
];
const STRINGS = [
  '',
  'plain',
  'quote " and \\ slash',
  'tab\tline\nbreak',
  '\u0001\u001f',
  '\ud800 lone',
  'ünïcödé',
  '\u2028\u2029',
];

function value(next: () => number, depth: number): unknown {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const kind = depth > 3 ? Math.floor(next() * 4) : Math.floor(next() * 6);
  switch (kind) {
    case 0:
      return pick(NUMBERS);
    case 1:
      return pick(STRINGS);
    case 2:
      return pick([true, false, null]);
    case 3:
      return Math.round(next() * 1e6) / (next() < 0.5 ? 1 : 1000);
    case 4:
      return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 6); i > 0; i--) o[pick(NAMES)] = value(next, depth + 1);
      return o;
    }
  }
}

describe('canonicalJson (RFC 8785)', () => {
  it('writes what the canonicalize package writes, for 5,000 random JSON values', () => {
    const next = random(8785);
    for (let i = 0; i < 5000; i++) {
      const v = value(next, 0);
      expect(canonicalJson(v)).toBe(canonicalize(v));
    }
  });

  it('writes what canonicalize writes for events in their JSON form, however their members were ordered', () => {
    for (let i = 0; i < 50; i++) {
      const event = toAuditEvent(
        {
          tenant_id: 'acme',
          actor: { id: `user-${i}`, type: 'user', name: 'Zoë', email: 'z@example.com' },
          action: 'repo.update',
          target: { type: 'repository', id: `r${i}` },
          outcome: i % 3 ? 'success' : 'failure',
          service: { name: 'git' },
          details: { z: i, a: [1, { y: 'x', b: null }], '10': true, '9': 'nine' },
          changes: [{ field: 'visibility', before: 'private', after: { level: 'public', at: i } }],
        },
        {
          id: `01a20ce8-9421-762f-8562-${String(i).padStart(12, '0')}`,
          occurredAt: 1.7e12 + i,
          producerId: 'p',
          sequence: i,
        },
      );
      const form = toJsonForm(event);
      expect(canonicalJson(form)).toBe(canonicalize(form));
      // A shape seen before in another member order is a different shape, same output.
      const reversed = Object.fromEntries(Object.entries(form).reverse());
      expect(canonicalJson(reversed)).toBe(canonicalize(form));
    }
  });

  it('sorts by UTF-16 code units (RFC 8785 3.2.3), not by code points or locale', () => {
    expect(canonicalJson({ '\ufb33': 1, '\ud83d\ude00': 2, '\u00e9': 3, a: 4 })).toBe(
      '{"a":4,"\u00e9":3,"\ud83d\ude00":2,"\ufb33":1}',
    );
    expect(canonicalJson({ '10': 1, '9': 2, b: 3, B: 4 })).toBe('{"10":1,"9":2,"B":4,"b":3}');
  });

  it('tells shapes apart whatever their names hold (no separator can collide)', () => {
    expect(canonicalJson({ 'a\u0000b': 1 })).toBe('{"a\\u0000b":1}');
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
    expect(canonicalJson({ 'b","a': 1 })).toBe('{"b\\",\\"a":1}');
  });

  it('leaves out undefined members, writes undefined array items as null, uses toJSON', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1], c: new Date(0) })).toBe(
      '{"b":[null,1],"c":"1970-01-01T00:00:00.000Z"}',
    );
  });

  it('refuses what JSON cannot hold', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(/no form/);
    expect(() => canonicalJson({ a: Number.POSITIVE_INFINITY })).toThrow(/no form/);
    expect(() => canonicalJson({ a: () => 1 })).toThrow(/function/);
    expect(() => canonicalJson(10n)).toThrow(/bigint/);
  });
});
