// Generated from schemas/avro/audit-event.avsc by schemas/scripts/generate-types.ts. Do not edit: change the schema and run
// `pnpm --filter @auditflow/schemas generate`. Timestamps are milliseconds since the epoch (UTC).

export type ActorType = 'user' | 'service' | 'webhook_event' | 'poll_cycle' | 'admin_action' | 'agent' | 'system' | 'unknown';

export const ActorTypeSymbols = ['user', 'service', 'webhook_event', 'poll_cycle', 'admin_action', 'agent', 'system', 'unknown'] as const;

export interface Actor {
  /** sensitivity: public */
  type: ActorType;
  /** sensitivity: internal */
  id: string;
  /** sensitivity: pii */
  name: null | string;
  /** sensitivity: pii */
  email: null | string;
  /** sensitivity: pii */
  ip: null | string;
  /** sensitivity: internal */
  user_agent: null | string;
  /** sensitivity: internal */
  session_id: null | string;
}

export interface Target {
  /** sensitivity: public */
  type: string;
  /** sensitivity: internal */
  id: null | string;
  /** sensitivity: internal */
  name: null | string;
  /** e.g. project_id, mr_iid; values as strings. — sensitivity: internal */
  attributes: Record<string, string>;
}

export type Outcome = 'success' | 'failure' | 'denied' | 'unknown';

export const OutcomeSymbols = ['success', 'failure', 'denied', 'unknown'] as const;

export type ErrorClass = 'auth_failure' | 'rate_limit' | 'network_error' | 'timeout' | 'validation_error' | 'not_found' | 'conflict' | 'internal' | 'unknown';

export const ErrorClassSymbols = ['auth_failure', 'rate_limit', 'network_error', 'timeout', 'validation_error', 'not_found', 'conflict', 'internal', 'unknown'] as const;

export interface ErrorInfo {
  /** sensitivity: public */
  class: ErrorClass;
  /** sensitivity: public */
  code: null | string;
  /** sensitivity: internal */
  message: null | string;
}

export interface Service {
  /** sensitivity: public */
  name: string;
  /** sensitivity: public */
  version: null | string;
  /** sensitivity: internal */
  instance: null | string;
  /** sensitivity: public */
  environment: null | string;
}

export interface Authorization {
  /** sensitivity: public */
  verified_at: null | number;
  /** sensitivity: public */
  method: null | string;
  /** sensitivity: internal */
  scopes: string[];
}

export interface Change {
  /** sensitivity: public */
  field: string;
  /** JSON text of the old value. — sensitivity: internal */
  before: null | string;
  /** JSON text of the new value. — sensitivity: internal */
  after: null | string;
}

export interface ProducerStamp {
  /** sensitivity: public */
  id: string;
  /** sensitivity: public */
  sequence: number;
}

export interface Finding {
  /** sensitivity: public */
  rule: string;
  /** sensitivity: public */
  path: string;
  /** sensitivity: public */
  count: number;
}

export interface PiiAction {
  /** sensitivity: public */
  path: string;
  /** sensitivity: public */
  action: string;
}

export interface SanitizationReport {
  /** sensitivity: public */
  ruleset_version: string;
  /** sensitivity: public */
  findings: Finding[];
  /** sensitivity: public */
  pii_actions: PiiAction[];
  /** sensitivity: public */
  truncated_paths: string[];
}

export interface Enrichment {
  /** sensitivity: public */
  processed_at: number;
  /** false: the action is not in the catalog (accepted and flagged) — sensitivity: public */
  known_action: boolean;
  /** sensitivity: public */
  category: null | string;
  /** sensitivity: public */
  severity: null | string;
  /** sensitivity: public */
  compliance: string[];
  /** sensitivity: public */
  retention_class: string;
  /** sensitivity: public */
  retention_days: number;
  /** sensitivity: public */
  legal_hold: boolean;
  /** sensitivity: public */
  tenant_name: null | string;
  /** sensitivity: internal */
  service_owner: null | string;
  /** SHA-256 (hex) of the RFC 8785 canonical JSON form of the event before enrichment — sensitivity: public */
  fingerprint: string;
}

export type IngestVia = 'gateway' | 'sdk';

export const IngestViaSymbols = ['gateway', 'sdk'] as const;

export interface Ingest {
  /** gateway: HTTP ingest; sdk: the producer SDK in the emitting service. — sensitivity: public */
  via: IngestVia;
  /** The authenticated gateway client id, or the SDK's producer id. — sensitivity: internal */
  client_id: string;
  /** When the gateway received the request or the SDK's emit() accepted the event, UTC. — sensitivity: public */
  received_at: number;
}

export interface AuditEvent {
  /** Version of this contract the producer wrote. — sensitivity: public */
  schema_version: number;
  /** UUIDv7, time-ordered. — sensitivity: public */
  id: string;
  /** When the action happened, UTC. — sensitivity: public */
  occurred_at: number;
  /** Dotted namespace, e.g. git.push, gitlab.api.post_mr_note. — sensitivity: public */
  action: string;
  /** sensitivity: public */
  category: null | string;
  /** sensitivity: internal */
  actor: Actor;
  /** sensitivity: internal */
  target: null | Target;
  /** sensitivity: public */
  outcome: Outcome;
  /** sensitivity: internal */
  error: null | ErrorInfo;
  /** sensitivity: public */
  correlation_id: null | string;
  /** W3C trace id, 32 lowercase hex digits. — sensitivity: public */
  trace_id: null | string;
  /** W3C span id, 16 lowercase hex digits. — sensitivity: public */
  span_id: null | string;
  /** The organisation the event belongs to. — sensitivity: public */
  tenant_id: string;
  /** sensitivity: public */
  service: Service;
  /** sensitivity: public */
  duration_ms: null | number;
  /** sensitivity: internal */
  authorization: null | Authorization;
  /** sensitivity: internal */
  changes: Change[];
  /** Arbitrary nested data as JSON text, so any shape survives the round trip. — sensitivity: internal */
  details: null | string;
  /** E6: which producer instance wrote the event, and its gap-free sequence number. — sensitivity: public */
  producer: ProducerStamp;
  /** S3: which sanitizer rules fired where (never the values). Set by the sanitizer. — sensitivity: internal */
  sanitization: null | SanitizationReport;
  /** N1: context added by the enricher. — sensitivity: internal */
  enrichment: null | Enrichment;
  /** Origin, stamped by the pipeline (never taken from the client): which door the event came through, who was authenticated there, and when it was received. Downstream routes by received_at. — sensitivity: public */
  ingest: null | Ingest;
}
