import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OCCURRED_AT_WINDOW,
  MAX_BYTES,
  MAX_DETAILS_DEPTH,
  MAX_ITEMS,
  OCCURRED_AT_AHEAD_ENV,
  OCCURRED_AT_BEHIND_ENV,
  occurredAtWindowFromEnv,
  parseDuration,
  reservedOriginIssues,
  SYSTEM_TENANT_ENV,
  systemTenantFromEnv,
  utf8Bytes,
} from './bounds.ts';
import type { FieldIssue } from './errors.ts';
import { validateEvent } from './json-form.ts';

const receivedAt = Date.parse('2026-11-24T10:00:00.000Z');
const minimal = () => ({
  action: 'git.push',
  actor: { type: 'user', id: 'u-42' } as Record<string, unknown>,
  outcome: 'success',
  tenant_id: 'acme',
  service: { name: 'chatops-bot' } as Record<string, unknown>,
  occurred_at: new Date(receivedAt).toISOString(),
});
type Event = ReturnType<typeof minimal> & Record<string, unknown>;

const issues = (event: unknown): readonly FieldIssue[] => validateEvent(event, { receivedAt });
const rulesOf = (event: unknown, field: string): string[] =>
  issues(event)
    .filter((i) => i.field === field)
    .map((i) => i.rule);

/** A string of exactly `bytes` UTF-8 bytes, mostly two-byte characters (so bytes ≠ characters). */
function ofBytes(bytes: number): string {
  const text = 'é'.repeat(Math.floor(bytes / 2)) + (bytes % 2 ? 'a' : '');
  expect(utf8Bytes(text)).toBe(bytes);
  return text;
}

/** Where each byte-bounded string goes in an event, and the field name its issue carries. */
const STRING_FIELDS: { key: keyof typeof MAX_BYTES; field: string; set: (e: Event, v: string) => void }[] = [
  { key: 'category', field: 'category', set: (e, v) => (e.category = v) },
  { key: 'actor.id', field: 'actor.id', set: (e, v) => (e.actor.id = v) },
  { key: 'actor.name', field: 'actor.name', set: (e, v) => (e.actor.name = v) },
  { key: 'actor.user_agent', field: 'actor.user_agent', set: (e, v) => (e.actor.user_agent = v) },
  { key: 'actor.session_id', field: 'actor.session_id', set: (e, v) => (e.actor.session_id = v) },
  { key: 'target.type', field: 'target.type', set: (e, v) => (e.target = { type: v }) },
  { key: 'target.id', field: 'target.id', set: (e, v) => (e.target = { type: 'repo', id: v }) },
  { key: 'target.name', field: 'target.name', set: (e, v) => (e.target = { type: 'repo', name: v }) },
  {
    key: 'target.attributes key',
    field: 'target.attributes',
    set: (e, v) => (e.target = { type: 'repo', attributes: { [v]: 'x' } }),
  },
  {
    key: 'target.attributes value',
    field: 'target.attributes.k',
    set: (e, v) => (e.target = { type: 'repo', attributes: { k: v } }),
  },
  { key: 'error.code', field: 'error.code', set: (e, v) => (e.error = { class: 'internal', code: v }) },
  {
    key: 'error.message',
    field: 'error.message',
    set: (e, v) => (e.error = { class: 'internal', message: v }),
  },
  { key: 'service.name', field: 'service.name', set: (e, v) => (e.service.name = v) },
  { key: 'service.version', field: 'service.version', set: (e, v) => (e.service.version = v) },
  { key: 'service.instance', field: 'service.instance', set: (e, v) => (e.service.instance = v) },
  { key: 'service.environment', field: 'service.environment', set: (e, v) => (e.service.environment = v) },
  {
    key: 'authorization.method',
    field: 'authorization.method',
    set: (e, v) => (e.authorization = { method: v }),
  },
  {
    key: 'authorization.scopes[]',
    field: 'authorization.scopes[0]',
    set: (e, v) => (e.authorization = { scopes: [v] }),
  },
  { key: 'changes[].field', field: 'changes[0].field', set: (e, v) => (e.changes = [{ field: v }]) },
];

describe('string byte limits (UTF-8 bytes, not characters)', () => {
  it.each(STRING_FIELDS)('$field: $key bytes pass, one more fails with max_bytes', ({ key, field, set }) => {
    const limit = MAX_BYTES[key];
    const atLimit = minimal() as Event;
    set(atLimit, ofBytes(limit));
    expect(issues(atLimit)).toEqual([]);
    const over = minimal() as Event;
    set(over, ofBytes(limit + 1));
    expect(rulesOf(over, field)).toContain('max_bytes');
  });

  it('bounds the action at 200 bytes (its pattern is ASCII)', () => {
    const at = `a.${'b'.repeat(MAX_BYTES.action - 2)}`;
    expect(issues({ ...minimal(), action: at })).toEqual([]);
    expect(rulesOf({ ...minimal(), action: `${at}c` }, 'action')).toContain('max_bytes');
  });

  it('bounds the e-mail address at 320 characters', () => {
    const local = 'a'.repeat(64);
    const domain = `${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(8)}.io`;
    const email = `${local}@${domain}`;
    expect(email).toHaveLength(320);
    expect(issues({ ...minimal(), actor: { type: 'user', id: 'u', email } })).toEqual([]);
    const longer = `${local}@b${domain}`;
    expect(
      rulesOf({ ...minimal(), actor: { type: 'user', id: 'u', email: longer } }, 'actor.email'),
    ).toContain('max_length');
  });
});

describe('tenant_id: lower-case ASCII, digits, - _ ., 1-64 bytes, keeps S3 keys and index names valid', () => {
  it.each(['acme', 'a', '0day', 'acme-prod_eu.1', 'a'.repeat(64)])('accepts %s', (tenant) => {
    expect(issues({ ...minimal(), tenant_id: tenant })).toEqual([]);
  });

  it('refuses 65 bytes', () => {
    expect(rulesOf({ ...minimal(), tenant_id: 'a'.repeat(65) }, 'tenant_id')).toEqual([
      'max_bytes',
      'pattern',
    ]);
  });

  it('refuses the 128-character CJK tenant id that once stopped the archiver', () => {
    const tenant = '租户'.repeat(64);
    expect(tenant).toHaveLength(128);
    const found = issues({ ...minimal(), tenant_id: tenant });
    expect(found.map((i) => [i.field, i.rule])).toEqual([
      ['tenant_id', 'max_bytes'],
      ['tenant_id', 'pattern'],
    ]);
    expect(found[1]?.message).toMatch(/lower-case ASCII/);
  });

  it.each([
    ['upper case', 'Acme'],
    ['a leading dash', '-acme'],
    ['a leading dot', '.acme'],
    ['a slash (an S3 prefix)', 'acme/evil'],
    ['a space', 'ac me'],
    ['a NUL', 'ac\u0000me'],
    ['an escape', 'acme\u001b[2J'],
    ['a newline', 'acme\n'],
    ['a non-ASCII letter', 'äcme'],
  ])('refuses %s', (_what, tenant) => {
    expect(rulesOf({ ...minimal(), tenant_id: tenant }, 'tenant_id')).toContain('pattern');
  });

  it('refuses a control character by its own rule too', () => {
    expect(rulesOf({ ...minimal(), tenant_id: 'acme\u0007' }, 'tenant_id')).toEqual([
      'no_control',
      'pattern',
    ]);
  });

  it('refuses an empty tenant id as required', () => {
    expect(rulesOf({ ...minimal(), tenant_id: '' }, 'tenant_id')).toContain('required');
  });
});

describe('ids', () => {
  it('id is a UUID', () => {
    expect(issues({ ...minimal(), id: '0192f7a4-6b1e-7c3d-9a4b-8c2d1e0f3a5b' })).toEqual([]);
    expect(rulesOf({ ...minimal(), id: '0192f7a4-6b1e-7c3d-9a4b-8c2d1e0f3a5' }, 'id')).toEqual([
      'format:uuid',
    ]);
    expect(rulesOf({ ...minimal(), id: `x${'0'.repeat(2000)}` }, 'id')).toEqual(['format:uuid']);
  });

  it('correlation_id: 1-256 visible ASCII characters', () => {
    expect(issues({ ...minimal(), correlation_id: 'c'.repeat(256) })).toEqual([]);
    expect(issues({ ...minimal(), correlation_id: 'req:7f3a/b+c=d@e' })).toEqual([]);
    for (const bad of ['c'.repeat(257), 'has space', 'tab\t', 'é', '', 'x\u0000']) {
      expect(rulesOf({ ...minimal(), correlation_id: bad }, 'correlation_id'), bad).toEqual(['pattern']);
    }
  });

  it('trace_id and span_id: W3C lower-case hex, not all zero', () => {
    const ok = { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' };
    expect(issues({ ...minimal(), ...ok })).toEqual([]);
    expect(rulesOf({ ...minimal(), trace_id: '0'.repeat(32) }, 'trace_id')).toEqual(['pattern']);
    expect(rulesOf({ ...minimal(), span_id: '0'.repeat(16) }, 'span_id')).toEqual(['pattern']);
    expect(rulesOf({ ...minimal(), trace_id: `${ok.trace_id}0` }, 'trace_id')).toEqual(['pattern']);
    expect(rulesOf({ ...minimal(), trace_id: ok.trace_id.toUpperCase() }, 'trace_id')).toEqual(['pattern']);
  });

  it('identifiers refuse control characters (C0, DEL, C1); free text keeps newlines, refuses NUL', () => {
    const actor = (extra: object) => ({ ...minimal(), actor: { type: 'user', id: 'u', ...extra } });
    expect(rulesOf(actor({ id: 'u\u001b[31m' }), 'actor.id')).toEqual(['no_control']);
    expect(rulesOf(actor({ id: 'u\u007f' }), 'actor.id')).toEqual(['no_control']);
    expect(rulesOf(actor({ session_id: 's\u0085' }), 'actor.session_id')).toEqual(['no_control']);
    expect(rulesOf({ ...minimal(), target: { type: 'repo', id: 'r\n1' } }, 'target.id')).toEqual([
      'no_control',
    ]);
    expect(issues(actor({ name: 'Ada\nLovelace\t(eng)' }))).toEqual([]);
    expect(rulesOf(actor({ name: 'Ada\u0000' }), 'actor.name')).toEqual(['no_nul']);
  });
});

describe('lone UTF-16 surrogates (no UTF-8 encoding, invalid in Avro strings)', () => {
  it('are refused in every string field, paired surrogates (emoji) pass', () => {
    expect(issues({ ...minimal(), actor: { type: 'user', id: 'u-😀', name: '😀' } })).toEqual([]);
    for (const lone of ['\uD800', '\uDFFF', 'a\uD83Db', '\uDE00\uD83D']) {
      expect(rulesOf({ ...minimal(), actor: { type: 'user', id: 'u', name: lone } }, 'actor.name')).toEqual([
        'well_formed',
      ]);
      expect(rulesOf({ ...minimal(), tenant_id: `acme${lone}` }, 'tenant_id')).toContain('well_formed');
    }
  });

  it('are refused in details and changes, in values and in keys', () => {
    expect(rulesOf({ ...minimal(), details: { note: ['ok', 'bad\uD800'] } }, 'details')).toEqual([
      'well_formed',
    ]);
    expect(rulesOf({ ...minimal(), details: { 'k\uDC00': 1 } }, 'details')).toEqual(['well_formed']);
    expect(
      rulesOf({ ...minimal(), changes: [{ field: 'f', after: { x: '\uD800' } }] }, 'changes[0].after'),
    ).toEqual(['well_formed']);
    expect(issues({ ...minimal(), details: { emoji: '😀', cjk: '租户' } })).toEqual([]);
  });
});

describe('arrays, nesting and JSON sizes', () => {
  it('authorization.scopes: 256 items pass, 257 fail', () => {
    const scopes = (n: number) => ({
      ...minimal(),
      authorization: { scopes: Array.from({ length: n }, () => 's') },
    });
    expect(issues(scopes(MAX_ITEMS['authorization.scopes']))).toEqual([]);
    expect(rulesOf(scopes(MAX_ITEMS['authorization.scopes'] + 1), 'authorization.scopes')).toEqual([
      'max_items',
    ]);
  });

  it('changes: 1000 pass, 1001 fail', () => {
    const changes = (n: number) => ({
      ...minimal(),
      changes: Array.from({ length: n }, (_, i) => ({ field: `f${i}` })),
    });
    expect(issues(changes(MAX_ITEMS.changes))).toEqual([]);
    expect(rulesOf(changes(MAX_ITEMS.changes + 1), 'changes')).toEqual(['max_items']);
  });

  it('target.attributes: 64 entries pass, 65 fail', () => {
    const attributes = (n: number) => ({
      ...minimal(),
      target: {
        type: 'repo',
        attributes: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])),
      },
    });
    expect(issues(attributes(MAX_ITEMS['target.attributes']))).toEqual([]);
    expect(rulesOf(attributes(MAX_ITEMS['target.attributes'] + 1), 'target.attributes')).toEqual([
      'max_items',
    ]);
  });

  it(`details: ${MAX_DETAILS_DEPTH} levels of nesting pass, one more fails`, () => {
    const nested = (levels: number) => {
      let value: unknown = 'leaf';
      for (let i = 0; i < levels; i++) value = i % 2 ? { d: value } : [value];
      return value;
    };
    expect(issues({ ...minimal(), details: nested(MAX_DETAILS_DEPTH) })).toEqual([]);
    expect(rulesOf({ ...minimal(), details: nested(MAX_DETAILS_DEPTH + 1) }, 'details')).toEqual([
      'max_depth',
    ]);
    expect(
      rulesOf({ ...minimal(), changes: [{ field: 'f', before: nested(99) }] }, 'changes[0].before'),
    ).toEqual(['max_depth']);
  });

  it('details: JSON text of 256 KiB passes, one byte more fails (bytes, with multi-byte text)', () => {
    const limit = MAX_BYTES.details;
    // JSON text of a string is the string plus two quotes; '€' is three bytes.
    const text = (bytes: number) => '€'.repeat(Math.floor((bytes - 2) / 3)) + 'a'.repeat((bytes - 2) % 3);
    expect(issues({ ...minimal(), details: text(limit) })).toEqual([]);
    expect(rulesOf({ ...minimal(), details: text(limit + 1) }, 'details')).toEqual(['max_bytes']);
  });

  it('changes[].before/after: JSON text of 64 KiB each passes, one byte more fails', () => {
    const limit = MAX_BYTES['changes[].before/after'];
    const value = (bytes: number) => ({ v: 'x'.repeat(bytes - 8) }); // {"v":"…"} is 8 bytes of JSON
    expect(
      issues({ ...minimal(), changes: [{ field: 'f', before: value(limit), after: value(limit) }] }),
    ).toEqual([]);
    expect(
      rulesOf({ ...minimal(), changes: [{ field: 'f', after: value(limit + 1) }] }, 'changes[0].after'),
    ).toEqual(['max_bytes']);
  });
});

describe('occurred_at within a window around receipt', () => {
  const at = (ms: number) => ({ ...minimal(), occurred_at: new Date(ms).toISOString() });
  const { aheadMs, behindMs } = DEFAULT_OCCURRED_AT_WINDOW;

  it('defaults to 24 h ahead and 30 days back', () => {
    expect(aheadMs).toBe(24 * 3_600_000);
    expect(behindMs).toBe(30 * 86_400_000);
  });

  it('accepts the edges and refuses one millisecond beyond, naming the field and the rule', () => {
    expect(issues(at(receivedAt + aheadMs))).toEqual([]);
    expect(issues(at(receivedAt - behindMs))).toEqual([]);
    expect(issues(at(receivedAt + aheadMs + 1))).toEqual([
      { field: 'occurred_at', rule: 'occurred_at_ahead', message: 'more than 1 d after the time of receipt' },
    ]);
    expect(issues(at(receivedAt - behindMs - 1))).toEqual([
      {
        field: 'occurred_at',
        rule: 'occurred_at_behind',
        message: 'more than 30 d before the time of receipt',
      },
    ]);
  });

  it('refuses far-future and ancient times', () => {
    expect(rulesOf({ ...minimal(), occurred_at: '9999-12-31T23:59:59Z' }, 'occurred_at')).toEqual([
      'occurred_at_ahead',
    ]);
    expect(rulesOf({ ...minimal(), occurred_at: '1970-01-01T00:00:00Z' }, 'occurred_at')).toEqual([
      'occurred_at_behind',
    ]);
  });

  it('takes a configured window', () => {
    const window = { aheadMs: 60_000, behindMs: 365 * 86_400_000 };
    expect(validateEvent(at(receivedAt - 200 * 86_400_000), { receivedAt, window })).toEqual([]);
    expect(validateEvent(at(receivedAt + 60_001), { receivedAt, window })[0]?.rule).toBe('occurred_at_ahead');
  });

  it('reads the window from the environment and refuses a bad setting at start', () => {
    expect(occurredAtWindowFromEnv({})).toEqual(DEFAULT_OCCURRED_AT_WINDOW);
    expect(
      occurredAtWindowFromEnv({ [OCCURRED_AT_AHEAD_ENV]: '90m', [OCCURRED_AT_BEHIND_ENV]: '400d' }),
    ).toEqual({
      aheadMs: 90 * 60_000,
      behindMs: 400 * 86_400_000,
    });
    expect(() => occurredAtWindowFromEnv({ [OCCURRED_AT_AHEAD_ENV]: 'soon' })).toThrow(OCCURRED_AT_AHEAD_ENV);
    expect(() => occurredAtWindowFromEnv({ [OCCURRED_AT_BEHIND_ENV]: '0d' })).toThrow(/positive duration/);
    expect(parseDuration('1500ms')).toBe(1500);
    expect(parseDuration('24 h')).toBeUndefined();
  });
});

describe('what only the pipeline writes', () => {
  it('names the system tenant and audit.* actions', () => {
    expect(
      reservedOriginIssues({ tenant_id: 'auditflow', action: 'audit.log.exported' }, 'auditflow'),
    ).toEqual([
      expect.objectContaining({ field: 'tenant_id', rule: 'reserved_tenant' }),
      expect.objectContaining({ field: 'action', rule: 'reserved_action' }),
    ]);
    expect(reservedOriginIssues({ tenant_id: 'acme', action: 'auditing.report' }, 'auditflow')).toEqual([]);
    expect(reservedOriginIssues({ tenant_id: 'auditflow2', action: 'git.push' }, 'auditflow')).toEqual([]);
  });

  it('reads the system tenant from AUDITFLOW_SYSTEM_TENANT and refuses an invalid one', () => {
    expect(systemTenantFromEnv({})).toBe('auditflow');
    expect(systemTenantFromEnv({ [SYSTEM_TENANT_ENV]: 'ops-audit' })).toBe('ops-audit');
    expect(() => systemTenantFromEnv({ [SYSTEM_TENANT_ENV]: 'Ops Audit' })).toThrow(SYSTEM_TENANT_ENV);
  });
});
