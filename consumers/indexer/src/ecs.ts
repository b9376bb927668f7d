import { isIP } from 'node:net';
import { type AuditEvent, markerFingerprints } from '@auditflow/schemas';

/** ECS allows only these outcomes; `denied` is a failure there and kept as audit.outcome. */
const ECS_OUTCOME = {
  success: 'success',
  failure: 'failure',
  denied: 'failure',
  unknown: 'unknown',
} as const;
const ECS_SEVERITY: Record<string, number> = { low: 1, medium: 2, high: 3, critical: 4 };

const parseJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));
const iso = (ms: number | null | undefined): string | undefined =>
  ms === null || ms === undefined ? undefined : new Date(ms).toISOString();

/**
 * The fingerprints of the event's redaction markers, as keywords: `auditflow search
 * --secret-value` finds every event a secret was redacted from (SECRET_FINGERPRINTS_FIELD).
 * Only events the sanitizer changed carry markers, so the others pay nothing.
 */
function redactionOf(event: AuditEvent): { fingerprints: string[] } | undefined {
  if (!event.sanitization || event.sanitization.findings.length === 0) return undefined;
  const fingerprints = markerFingerprints(JSON.stringify(event));
  return fingerprints.length > 0 ? { fingerprints } : undefined;
}

/** Drops null and undefined members so documents hold only what the event has. */
function compact<T extends Record<string, unknown>>(value: T): T {
  for (const key of Object.keys(value)) {
    const member = value[key];
    if (member === null || member === undefined) delete value[key];
    else if (typeof member === 'object' && !Array.isArray(member)) {
      compact(member as Record<string, unknown>);
      if (Object.keys(member as object).length === 0) delete value[key];
    }
  }
  return value;
}

/** A time a date field can hold, or undefined. */
const saneTime = (ms: number | undefined): number | undefined =>
  ms !== undefined && Number.isFinite(ms) && ms >= 0 && ms <= 253_402_300_799_999 ? ms : undefined;

/**
 * The Elasticsearch document for an event (I2): Elastic Common Schema names where ECS has the
 * field, everything else under `audit.*`. `details` and target attributes are `flattened` in
 * the template, so arbitrary keys never grow the mapping.
 */
export function toEcsDocument(
  event: AuditEvent,
  indexedAt: number,
  timeBasis: 'occurred' | 'receipt' = 'occurred',
): Record<string, unknown> {
  const enrichment = event.enrichment;
  // The pipeline's origin stamp (schema v3); null on events written before it.
  const ingest = event.ingest;
  const category = enrichment?.category ?? event.category;
  return compact({
    '@timestamp': new Date(event.occurred_at).toISOString(),
    event: {
      id: event.id,
      action: event.action,
      category: category ? [category] : undefined,
      kind: 'event',
      outcome: ECS_OUTCOME[event.outcome],
      created: iso(enrichment?.processed_at),
      // ECS: when the event reached the pipeline. Events from before the ingest stamp have only
      // the time they were indexed.
      ingested: new Date(saneTime(ingest?.received_at) ?? indexedAt).toISOString(),
      severity: enrichment?.severity ? ECS_SEVERITY[enrichment.severity] : undefined,
      duration: event.duration_ms === null ? undefined : Math.round(event.duration_ms * 1e6),
      dataset: 'auditflow.audit',
      module: 'auditflow',
      hash: enrichment?.fingerprint,
    },
    user: { id: event.actor.id, name: event.actor.name, email: event.actor.email },
    source: event.actor.ip && isIP(event.actor.ip) ? { ip: event.actor.ip } : undefined,
    user_agent: event.actor.user_agent ? { original: event.actor.user_agent } : undefined,
    trace: event.trace_id ? { id: event.trace_id } : undefined,
    span: event.span_id ? { id: event.span_id } : undefined,
    service: {
      name: event.service.name,
      version: event.service.version,
      environment: event.service.environment,
      node: event.service.instance ? { name: event.service.instance } : undefined,
    },
    organization: { id: event.tenant_id, name: enrichment?.tenant_name },
    error: event.error
      ? { type: event.error.class, code: event.error.code, message: event.error.message }
      : undefined,
    audit: {
      schema_version: event.schema_version,
      outcome: event.outcome,
      correlation_id: event.correlation_id,
      actor: { type: event.actor.type, session_id: event.actor.session_id, ip: event.actor.ip },
      target: event.target
        ? {
            type: event.target.type,
            id: event.target.id,
            name: event.target.name,
            attributes: event.target.attributes,
          }
        : undefined,
      authorization: event.authorization
        ? {
            verified_at: iso(event.authorization.verified_at),
            method: event.authorization.method,
            scopes: event.authorization.scopes,
          }
        : undefined,
      changes: event.changes.length
        ? event.changes.map((c) => ({
            field: c.field,
            before: c.before ?? undefined,
            after: c.after ?? undefined,
          }))
        : undefined,
      details: parseJson(event.details) ?? undefined,
      sanitization: event.sanitization ?? undefined,
      redaction: redactionOf(event),
      compliance: enrichment?.compliance.length ? enrichment.compliance : undefined,
      severity: enrichment?.severity,
      known_action: enrichment?.known_action,
      retention_class: enrichment?.retention_class,
      retention_days: enrichment?.retention_days,
      legal_hold: enrichment?.legal_hold,
      fingerprint: enrichment?.fingerprint,
      service_owner: enrichment?.service_owner,
      producer: event.producer,
      ingest: ingest ? { via: ingest.via, client_id: ingest.client_id } : undefined,
      time_basis: timeBasis === 'receipt' ? 'receipt' : undefined,
    },
  });
}
