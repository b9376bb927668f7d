import { toAuditEvent } from '@auditflow/schemas';
import { describe, expect, it } from 'vitest';
import { toEcsDocument } from './ecs.ts';
import { AUDIT_MAPPINGS, expiredIndices, ilmPolicyBody, indexFor, templateBody } from './template.ts';

const event = toAuditEvent(
  {
    action: 'auth.webhook.hmac_invalid',
    actor: { type: 'webhook_event', id: 'gitlab', ip: '203.0.113.0', user_agent: 'GitLab/17.0' },
    target: { type: 'project', id: '42', attributes: { project_id: 42 } },
    outcome: 'denied',
    error: { class: 'auth_failure', code: '401', message: 'signature mismatch' },
    tenant_id: 'acme',
    service: { name: 'webhook-receiver', version: '1.0.0', instance: 'pod-1' },
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    correlation_id: 'c-1',
    duration_ms: 1.5,
    details: { rule: 'hmac', nested: { x: [1, 2] } },
  },
  {
    id: '0192f7a4-6b1e-7c3d-9a4b-8c2d1e0f3a5b',
    occurredAt: Date.parse('2026-11-24T10:00:00Z'),
    producerId: 'p',
    sequence: 9,
  },
);

describe('toEcsDocument', () => {
  it('uses ECS names where ECS has the field', () => {
    const doc = toEcsDocument(event, Date.parse('2026-11-24T10:00:01Z')) as Record<
      string,
      Record<string, unknown>
    >;
    expect(doc['@timestamp']).toBe('2026-11-24T10:00:00.000Z');
    expect(doc.event).toMatchObject({
      id: event.id,
      action: 'auth.webhook.hmac_invalid',
      outcome: 'failure',
      duration: 1_500_000,
      ingested: '2026-11-24T10:00:01.000Z',
    });
    expect(doc.source).toEqual({ ip: '203.0.113.0' });
    expect(doc.user_agent).toEqual({ original: 'GitLab/17.0' });
    expect(doc.trace).toEqual({ id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(doc.service).toEqual({ name: 'webhook-receiver', version: '1.0.0', node: { name: 'pod-1' } });
    expect(doc.organization).toEqual({ id: 'acme' });
    expect(doc.error).toEqual({ type: 'auth_failure', code: '401', message: 'signature mismatch' });
    expect(doc.audit).toMatchObject({
      outcome: 'denied',
      correlation_id: 'c-1',
      details: { rule: 'hmac', nested: { x: [1, 2] } },
      producer: { id: 'p', sequence: 9 },
    });
  });

  it('maps the ingest stamp: receipt time as event.ingested, door and client under audit.ingest', () => {
    const stamped = {
      ...event,
      ingest: {
        via: 'gateway' as const,
        client_id: 'ci-bot',
        received_at: Date.parse('2026-11-24T10:00:00.250Z'),
      },
    };
    const doc = toEcsDocument(stamped, Date.parse('2026-11-24T10:00:05Z'), 'receipt') as Record<
      string,
      Record<string, unknown>
    >;
    expect(doc.event?.ingested).toBe('2026-11-24T10:00:00.250Z');
    expect(doc.audit).toMatchObject({
      ingest: { via: 'gateway' as const, client_id: 'ci-bot' },
      time_basis: 'receipt',
    });
    // Without the stamp (older events) the indexing time stands in; a forged impossible time too.
    const forged = { ...event, ingest: { via: 'sdk' as const, client_id: 'p', received_at: 9e15 } };
    expect((toEcsDocument(forged, 0) as { event: { ingested: string } }).event.ingested).toBe(
      '1970-01-01T00:00:00.000Z',
    );
    expect((toEcsDocument(event, 0) as { audit: object }).audit).not.toHaveProperty('time_basis');
  });

  it('keeps the fingerprints of redaction markers as keywords, for search --secret-value', () => {
    const redacted = {
      ...event,
      details: JSON.stringify({
        note: 'token=[REDACTED:key-value-secret:0123456789ab] and [REDACTED:jwt:ba9876543210]',
      }),
      sanitization: {
        ruleset_version: 'x',
        findings: [{ rule: 'key-value-secret', path: 'details.note', count: 1 }],
        pii_actions: [],
        truncated_paths: [],
      },
    };
    const doc = toEcsDocument(redacted, 0) as { audit: { redaction?: { fingerprints: string[] } } };
    expect(doc.audit.redaction?.fingerprints.sort()).toEqual(['0123456789ab', 'ba9876543210']);
    expect((toEcsDocument(event, 0) as { audit: { redaction?: unknown } }).audit.redaction).toBeUndefined();
    expect(AUDIT_MAPPINGS.properties.audit.properties.redaction.properties.fingerprints.type).toBe('keyword');
  });

  it('maps every ingest field in the template', () => {
    const audit = AUDIT_MAPPINGS.properties.audit.properties;
    expect(Object.keys(audit.ingest.properties).sort()).toEqual(['client_id', 'via']);
    expect(AUDIT_MAPPINGS.properties.event.properties.ingested.type).toBe('date');
  });

  it('leaves out a pseudonymised or masked value that is not an IP address', () => {
    const doc = toEcsDocument({ ...event, actor: { ...event.actor, ip: 'pseu_abc' } }, 0) as Record<
      string,
      unknown
    >;
    expect(doc.source).toBeUndefined();
  });

  it('maps only fields the template knows at the top level', () => {
    const doc = toEcsDocument(event, 0);
    for (const key of Object.keys(doc)) expect(Object.keys(AUDIT_MAPPINGS.properties)).toContain(key);
  });
});

describe('index layout', () => {
  it('puts an event in the daily index of its own time, so a redelivery finds its first copy', () => {
    expect(
      indexFor({ mode: 'daily_indices', prefix: 'audit-events' }, Date.parse('2026-11-24T23:59:59Z')),
    ).toBe('audit-events-2026.11.24');
    expect(indexFor({ mode: 'data_stream', prefix: 'audit-events' }, 0)).toBe('audit-events');
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '.');
    expect(indexFor({ mode: 'daily_indices', prefix: 'audit-events' }, 4e15)).toBe(`audit-events-${today}`);
  });

  it('builds the data-stream template with ILM for full clusters, and an alias for daily indices', () => {
    const ds = templateBody(
      { mode: 'data_stream', prefix: 'audit-events' },
      { replicas: 1, ilmPolicy: 'audit-events-policy' },
    );
    expect(ds).toMatchObject({
      index_patterns: ['audit-events*'],
      data_stream: {},
      template: { settings: { 'index.lifecycle.name': 'audit-events-policy' } },
    });
    const daily = templateBody({ mode: 'daily_indices', prefix: 'audit-events' }, { replicas: 0 });
    expect(daily).not.toHaveProperty('data_stream');
    expect(
      templateBody({ mode: 'daily_indices', prefix: 'audit-events-staging' }, { replicas: 0 }).priority,
    ).toBeGreaterThan(daily.priority);
    expect(daily.template).toMatchObject({ aliases: { 'audit-events': {} } });
    expect(ilmPolicyBody(30).policy.phases.delete.min_age).toBe('30d');
  });

  it('finds daily indices past the retention, and nothing else', () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    const names = [
      'audit-events-2026.11.24',
      'audit-events-2026.10.25',
      'audit-events-2026.10.23',
      'audit-events-x',
      'other-2020.01.01',
    ];
    expect(expiredIndices(names, 'audit-events', 30, now)).toEqual(['audit-events-2026.10.23']);
  });
});
