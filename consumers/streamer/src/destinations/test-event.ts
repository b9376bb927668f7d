import {
  type AuditEvent,
  type AuditEventInput,
  type AuditEventJson,
  toAuditEvent,
  toJsonForm,
} from '@auditflow/schemas';

/** An event in the JSON form subscribers and destinations see, for unit tests. */
export function jsonEvent(overrides: Partial<AuditEventInput> = {}): AuditEventJson {
  return toJsonForm(avroEvent(overrides));
}

/** The same event as the Avro record a reader decodes. */
export function avroEvent(overrides: Partial<AuditEventInput> = {}): AuditEvent {
  const input: AuditEventInput = {
    id: '0195f0c2-7b1e-7a3c-9d4e-1234567890ab',
    occurred_at: '2026-03-01T12:34:56.789Z',
    action: 'gitlab.api.post_mr_note',
    category: 'source_control',
    actor: {
      type: 'user',
      id: 'u-42',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      ip: '203.0.113.7',
      user_agent: 'curl/8.5',
      session_id: 's-1',
    },
    target: {
      type: 'merge_request',
      id: '1001',
      name: 'Fix | pipes = and\\slashes',
      attributes: { mr_iid: '7' },
    },
    outcome: 'success',
    tenant_id: 'acme',
    correlation_id: 'corr-1',
    service: { name: 'review-bot', version: '2.4.1', instance: 'pod-3', environment: 'prod' },
    duration_ms: 12.5,
    details: { note: 'line one\nline two' },
    ...overrides,
  };
  return toAuditEvent(input, {
    id: 'x',
    occurredAt: 0,
    producerId: 'p',
    sequence: 1,
    ingest: { via: 'gateway', clientId: 'ci-bot', receivedAt: Date.parse('2026-03-01T12:34:57.000Z') },
  });
}
