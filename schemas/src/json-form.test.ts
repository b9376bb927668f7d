import { describe, expect, it } from 'vitest';
import { EventValidationError } from './errors.ts';
import { fromJsonForm, toAuditEvent, toJsonForm } from './json-form.ts';
import { auditEventType } from './schema.ts';

const stamp = {
  id: '0192f7a4-6b1e-7c3d-9a4b-8c2d1e0f3a5b',
  occurredAt: Date.parse('2026-11-24T10:00:00.000Z'),
  producerId: 'prod-1',
  sequence: 7,
};

const minimal = {
  action: 'git.push',
  actor: { type: 'user', id: 'u-42' },
  outcome: 'success',
  tenant_id: 'acme',
  service: { name: 'chatops-bot' },
};

function issuesOf(input: unknown) {
  try {
    toAuditEvent(input, stamp);
  } catch (err) {
    expect(err).toBeInstanceOf(EventValidationError);
    return (err as EventValidationError).issues;
  }
  throw new Error('expected a validation error');
}

describe('JSON form', () => {
  it('fills id and time, stamps producer and sequence', () => {
    const event = toAuditEvent(minimal, stamp);
    expect(event.id).toBe(stamp.id);
    expect(event.occurred_at).toBe(stamp.occurredAt);
    expect(event.producer).toEqual({ id: 'prod-1', sequence: 7 });
    expect(event.schema_version).toBe(3);
    expect(event.ingest).toBeNull();
  });

  it('stamps the origin and overwrites what the client claimed there', () => {
    const receivedAt = Date.parse('2026-11-24T10:00:00.500Z');
    const event = toAuditEvent(
      { ...minimal, ingest: { via: 'gateway', client_id: 'forged', received_at: '1999-01-01T00:00:00Z' } },
      { ...stamp, ingest: { via: 'sdk', clientId: 'prod-1', receivedAt } },
    );
    expect(event.ingest).toEqual({ via: 'sdk', client_id: 'prod-1', received_at: receivedAt });
    const json = toJsonForm(auditEventType.fromBuffer(auditEventType.toBuffer(event)));
    expect(json.ingest).toEqual({ via: 'sdk', client_id: 'prod-1', received_at: '2026-11-24T10:00:00.500Z' });
    expect(fromJsonForm(JSON.parse(JSON.stringify(json))).ingest).toEqual(event.ingest);
  });

  it('reads archived JSON written before schema v3 (no ingest field) as ingest null', () => {
    const json = toJsonForm(toAuditEvent(minimal, stamp)) as Partial<ReturnType<typeof toJsonForm>>;
    delete json.ingest;
    expect(fromJsonForm(json as ReturnType<typeof toJsonForm>).ingest).toBeNull();
  });

  it('round-trips every field through Avro, details of any shape included', () => {
    const input = {
      ...minimal,
      id: '0192f7a4-0000-7000-8000-000000000001',
      occurred_at: '2026-11-24T09:59:58.123+01:00',
      category: 'git',
      actor: {
        ...minimal.actor,
        name: 'Ada',
        email: 'ada@example.com',
        ip: '2001:db8::1',
        user_agent: 'git/2.43',
        session_id: 's1',
      },
      target: {
        type: 'repository',
        id: 17,
        name: 'infra',
        attributes: { project_id: 17, protected: true, branch: 'main' },
      },
      error: { class: 'rate_limit', code: 429, message: 'slow down' },
      correlation_id: 'corr-1',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      service: { name: 'bot', version: '1.2.3', instance: 'pod-7', environment: 'prod' },
      duration_ms: 12.5,
      authorization: {
        verified_at: '2026-11-24T09:00:00Z',
        method: 'oauth',
        scopes: ['api', 'write_repository'],
      },
      changes: [{ field: 'enabled', before: false, after: { on: true, list: [1, 'x', null] } }],
      details: { nested: { deep: [1, 2.5, 'three', null, { four: true }] }, unicode: 'größe ✓' },
    };
    const event = toAuditEvent(input, stamp);
    const decoded = auditEventType.fromBuffer(auditEventType.toBuffer(event));
    const json = toJsonForm(decoded);
    expect(json.occurred_at).toBe('2026-11-24T08:59:58.123Z');
    expect(json.details).toEqual(input.details);
    expect(json.changes).toEqual(input.changes);
    expect(json.target).toEqual({
      type: 'repository',
      id: '17',
      name: 'infra',
      attributes: { project_id: '17', protected: 'true', branch: 'main' },
    });
    expect(json.error).toEqual({ class: 'rate_limit', code: '429', message: 'slow down' });
    expect(json.authorization?.verified_at).toBe('2026-11-24T09:00:00.000Z');
    expect(json.actor).toEqual(input.actor);
  });

  it('reads the JSON form back into the same Avro record (archive replay)', () => {
    const event = toAuditEvent(
      {
        ...minimal,
        authorization: { verified_at: '2026-11-24T09:00:00Z', method: 'oauth', scopes: ['api'] },
        changes: [{ field: 'enabled', before: false, after: { on: true } }],
        details: { nested: [1, 'two', null] },
      },
      stamp,
    );
    const enriched = {
      ...event,
      enrichment: {
        processed_at: Date.parse('2026-11-24T10:00:01.5Z'),
        known_action: true,
        category: 'git',
        severity: 'low',
        compliance: ['soc2'],
        retention_class: 'extended',
        retention_days: 1095,
        legal_hold: false,
        tenant_name: null,
        service_owner: null,
        fingerprint: 'f'.repeat(64),
      },
    };
    const back = fromJsonForm(JSON.parse(JSON.stringify(toJsonForm(enriched))));
    expect(auditEventType.toBuffer(back).equals(auditEventType.toBuffer(enriched))).toBe(true);
  });

  it('names the field and the rule for each mistake', () => {
    const issues = issuesOf({
      ...minimal,
      action: 'Git Push',
      actor: { type: 'robot', id: '' },
      outcome: undefined,
      trace_id: 'xyz',
      duration_ms: -1,
    });
    const byField = Object.fromEntries(issues.map((i) => [i.field, i]));
    expect(byField.action?.rule).toBe('pattern');
    expect(byField['actor.type']?.message).toMatch(/must be one of user, service/);
    expect(byField['actor.id']?.message).toBe('required');
    expect(byField.outcome?.message).toBe('required');
    expect(byField.trace_id?.message).toMatch(/32 lower-case hex/);
    expect(byField.duration_ms?.message).toMatch(/not negative/);
  });

  it('rejects unknown fields by name, so typos do not silently vanish', () => {
    const issues = issuesOf({ ...minimal, tennant_id: 'x' });
    expect(issues).toEqual([expect.objectContaining({ field: 'tennant_id', rule: 'unrecognized_keys' })]);
  });

  it('names unknown fields and bad map keys without echoing long or hostile client text', () => {
    const long = `x${'y'.repeat(10_000)}`;
    const extra = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${long}${i}`, 1]));
    const [unknown] = issuesOf({ ...minimal, ...extra });
    expect(unknown?.rule).toBe('unrecognized_keys');
    expect(unknown?.field.length).toBeLessThanOrEqual(64);
    expect(unknown?.message.length).toBeLessThan(600);
    const [badKey] = issuesOf({
      ...minimal,
      target: { type: 'repo', attributes: { [`k\u001b[2J${long}`]: 1 } },
    });
    expect(badKey).toMatchObject({ field: 'target.attributes', rule: 'max_bytes' });
    const escaped = issuesOf({ ...minimal, target: { type: 'repo', attributes: { 'k\u001b[2J': 1 } } });
    expect(escaped).toEqual([expect.objectContaining({ field: 'target.attributes', rule: 'no_control' })]);
    // The raw key (with its escape sequence) is in no field name or message.
    expect(escaped.map((i) => i.field + i.message).join('')).not.toContain('\u001b');
  });

  it('refuses pathological nesting without overflowing the stack', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    const issues = issuesOf({ ...minimal, details: deep });
    expect(issues).toEqual([expect.objectContaining({ field: 'details', rule: 'max_depth' })]);
  });

  it('refuses values JSON cannot carry', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(issuesOf({ ...minimal, changes: [{ field: 'x', before: 1n }] })[0]).toMatchObject({
      field: 'changes[0].before',
      rule: 'json',
    });
    expect(issuesOf({ ...minimal, details: cyclic })[0]).toMatchObject({
      field: 'details',
      rule: 'max_depth',
    });
  });

  it('requires a time zone on timestamps', () => {
    expect(issuesOf({ ...minimal, occurred_at: '2026-11-24 10:00:00' })[0]?.field).toBe('occurred_at');
  });
});
