export {
  CORRELATION_ID_PATTERN,
  DEFAULT_OCCURRED_AT_WINDOW,
  DEFAULT_SYSTEM_TENANT,
  isWellFormed,
  MAX_BYTES,
  MAX_DETAILS_DEPTH,
  MAX_ITEMS,
  OCCURRED_AT_AHEAD_ENV,
  OCCURRED_AT_BEHIND_ENV,
  type OccurredAtWindow,
  occurredAtIssue,
  occurredAtWindowFromEnv,
  PIPELINE_ACTION_PREFIX,
  parseDuration,
  RULES,
  reservedOriginIssues,
  SPAN_ID_PATTERN,
  SYSTEM_TENANT_ENV,
  systemTenantFromEnv,
  TENANT_ID_MAX_BYTES,
  TENANT_ID_PATTERN,
  TENANT_ID_RULE,
  TRACE_ID_PATTERN,
  utf8Bytes,
} from './bounds.ts';
export { canonicalJson } from './canonical-json.ts';
export {
  type ActionCatalog,
  CATALOG_FILE,
  type CatalogEntry,
  loadCatalog,
  lookupAction,
  SEVERITIES,
} from './catalog.ts';
export { checkBackwardCompatible } from './compat.ts';
export { EventValidationError, type FieldIssue } from './errors.ts';
export * from './generated/audit-event.ts';
export {
  ACTION_PATTERN,
  type AuditEventInput,
  type AuditEventJson,
  auditEventInputSchema,
  fromJsonForm,
  type IngestStampInput,
  type ProducerStampInput,
  toAuditEvent,
  toJsonForm,
  validateEvent,
} from './json-form.ts';
export {
  FINGERPRINT_HEX_LENGTH,
  hexKeyFromEnv,
  MARKER_PREFIX,
  markerFingerprints,
  type ParsedMarker,
  parseMarkers,
  REDACTION_KEY_ENV,
  REDACTION_KEY_FILE_ENV,
  redactionMarker,
  SECRET_FINGERPRINTS_FIELD,
  secretFingerprint,
} from './redaction.ts';
export {
  DEFAULT_RETENTION_FILE,
  globMatch,
  loadRetentionPolicy,
  type RetentionDecision,
  type RetentionPolicy,
  retentionFor,
} from './retention.ts';
export {
  AUDIT_EVENT_SCHEMA_FILE,
  AUDIT_EVENT_SCHEMA_VERSION,
  type AvroRecordSchema,
  auditEventSchema,
  auditEventType,
  decodeAnyVersion,
  RELEASED_SCHEMA_FILES,
  readSchema,
} from './schema.ts';
export { fieldTags, SENSITIVITIES, type Sensitivity, sensitivityMap, untaggedFields } from './sensitivity.ts';
export { HEADERS, TOPICS, type TopicName } from './topics.ts';
