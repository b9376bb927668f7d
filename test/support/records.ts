import { randomUUID } from 'node:crypto';
import type { AuditEvent, Enrichment } from '@auditflow/schemas';

/** A minimal, valid Avro record as a foreign producer might write it; override what a test needs. */
export function avroRecord(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    schema_version: 2,
    id: '0192f7a4-6b1e-7c3d-9a4b-000000000000',
    occurred_at: Date.now(),
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
    service: { name: 'foreign-producer', version: null, instance: null, environment: null },
    duration_ms: null,
    authorization: null,
    changes: [],
    details: null,
    producer: { id: 'foreign', sequence: 1 },
    sanitization: null,
    enrichment: null,
    ingest: null,
    ...overrides,
  };
}

/** The enricher's block of a clean-topic event (fresh fingerprint); override what a test needs. */
export function enrichmentOf(overrides: Partial<Enrichment> = {}): Enrichment {
  return {
    processed_at: Date.now(),
    known_action: true,
    category: 'git',
    severity: 'low',
    compliance: [],
    retention_class: 'standard',
    retention_days: 365,
    legal_hold: false,
    tenant_name: null,
    service_owner: null,
    fingerprint: randomUUID().replaceAll('-', ''),
    ...overrides,
  };
}

/** An enriched clean-topic record with a fresh id, as a foreign or hostile writer could put it there. */
export const cleanRecord = (
  overrides: Partial<AuditEvent> = {},
  enriched: Partial<Enrichment> = {},
): AuditEvent => avroRecord({ id: randomUUID(), enrichment: enrichmentOf(enriched), ...overrides });
