import type { AuditEvent } from '@auditflow/schemas';

/** A decoded clean-topic event for unit tests, with an optional ingest stamp (schema v3). */
export function avroEvent(overrides: Partial<AuditEvent> & { receivedAt?: number | null } = {}): AuditEvent {
  const { receivedAt, ...rest } = overrides;
  return {
    schema_version: 3,
    id: '0192f7a4-6b1e-7c3d-9a4b-000000000000',
    occurred_at: Date.UTC(2026, 11, 1),
    action: 'git.push',
    category: null,
    actor: { type: 'user', id: 'u', name: null, email: null, ip: null, user_agent: null, session_id: null },
    target: null,
    outcome: 'success',
    error: null,
    correlation_id: null,
    trace_id: null,
    span_id: null,
    tenant_id: 'acme',
    service: { name: 's', version: null, instance: null, environment: null },
    duration_ms: null,
    authorization: null,
    changes: [],
    details: null,
    producer: { id: 'p', sequence: 1 },
    sanitization: null,
    enrichment: null,
    ...(receivedAt === undefined || receivedAt === null
      ? { ingest: null }
      : { ingest: { via: 'gateway' as const, client_id: 'c', received_at: receivedAt } }),
    ...rest,
  } as AuditEvent;
}
