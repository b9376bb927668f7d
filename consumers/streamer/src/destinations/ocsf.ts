import type { AuditEventJson } from '@auditflow/schemas';
import { ocsfSeverityId } from './severity.ts';

/**
 * OCSF-shaped events (schema 1.1): Authentication (class 3002) for authentication events, API
 * Activity (class 6003) for every other audit event (an actor calling an operation on a
 * resource). Fields OCSF has no place for go under `unmapped`, so nothing is lost.
 */
export const OCSF_VERSION = '1.1.0';

const SEVERITY = ['Unknown', 'Informational', 'Low', 'Medium', 'High', 'Critical'];
const API_ACTIVITIES: [number, string, RegExp][] = [
  [4, 'Delete', /^(delete|deleted|remove|removed|destroy|destroyed|purge)$/],
  [1, 'Create', /^(create|created|post|add|added|push|pushed|commit|generate|generated|new|upload)$/],
  [
    3,
    'Update',
    /^(update|updated|transition|edit|patch|set|enable|enabled|disable|disabled|resolve|resolved|rebase|approve|approved|reject|rejected|dismiss|dismissed|pause|paused|resume|resumed)$/,
  ],
  [2, 'Read', /^(get|read|list|search|fetch|clone|view|export|exported|download)$/],
];

/** API Activity's activity from the verbs of the action, last segment first (`gitlab.api.post_mr_note` → Create). */
export function apiActivity(action: string): { id: number; name: string } {
  const segments = action.split('.').reverse();
  for (const segment of segments)
    for (const word of segment.split(/[_-]/))
      for (const [id, name, verbs] of API_ACTIVITIES) if (verbs.test(word)) return { id, name };
  return { id: 99, name: 'Other' };
}

export function isAuthentication(event: AuditEventJson): boolean {
  return event.category === 'authentication' || event.action.startsWith('auth.');
}

function status(event: AuditEventJson): Record<string, unknown> {
  const id = event.outcome === 'success' ? 1 : event.outcome === 'unknown' ? 0 : 2;
  return {
    status_id: id,
    status: ['Unknown', 'Success', 'Failure'][id],
    status_code: event.error?.code ?? undefined,
    status_detail: event.outcome === 'denied' ? 'denied' : (event.error?.message ?? undefined),
  };
}

function common(event: AuditEventJson, version: string): Record<string, unknown> {
  const severity = ocsfSeverityId(event);
  return {
    time: Date.parse(event.occurred_at),
    severity_id: severity,
    severity: SEVERITY[severity],
    ...status(event),
    duration: event.duration_ms ?? undefined,
    metadata: {
      version: OCSF_VERSION,
      uid: event.id,
      correlation_uid: event.correlation_id ?? undefined,
      tenant_uid: event.tenant_id,
      original_time: event.occurred_at,
      product: { name: 'Auditflow', vendor_name: 'Auditflow', version },
      ...ingestMetadata(event),
    },
    src_endpoint: event.actor.ip ? { ip: event.actor.ip } : undefined,
    http_request: event.actor.user_agent ? { user_agent: event.actor.user_agent } : undefined,
    unmapped: {
      action: event.action,
      category: event.category,
      trace_id: event.trace_id,
      span_id: event.span_id,
      authorization: event.authorization,
      changes: event.changes.length > 0 ? event.changes : undefined,
      details: event.details ?? undefined,
      error_class: event.error?.class,
      service_instance: event.service.instance,
      service_environment: event.service.environment,
    },
  };
}

/**
 * The origin the pipeline stamped: `logged_time` is when Auditflow received the event, and the
 * one Logger (OCSF 1.1 `metadata.loggers`) is the door it came through (`auditflow-gateway`,
 * `auditflow-sdk`) with the authenticated client id as its `uid`.
 */
function ingestMetadata(event: AuditEventJson): Record<string, unknown> {
  if (!event.ingest) return {};
  const loggedTime = Date.parse(event.ingest.received_at);
  return {
    logged_time: loggedTime,
    loggers: [
      { name: `auditflow-${event.ingest.via}`, uid: event.ingest.client_id, logged_time: loggedTime },
    ],
  };
}

const user = (event: AuditEventJson) => ({
  uid: event.actor.id,
  name: event.actor.name ?? undefined,
  email_addr: event.actor.email ?? undefined,
  type: event.actor.type,
});

export function toOcsf(event: AuditEventJson, productVersion = '0.1.0'): Record<string, unknown> {
  const session = event.actor.session_id ? { uid: event.actor.session_id } : undefined;
  const service = { name: event.service.name, version: event.service.version ?? undefined };
  if (isAuthentication(event)) {
    const activity =
      event.action === 'auth.login'
        ? { id: 1, name: 'Logon' }
        : event.action === 'auth.logout'
          ? { id: 2, name: 'Logoff' }
          : { id: 99, name: 'Other' };
    return {
      category_uid: 3,
      category_name: 'Identity & Access Management',
      class_uid: 3002,
      class_name: 'Authentication',
      activity_id: activity.id,
      activity_name: activity.name,
      type_uid: 3002 * 100 + activity.id,
      type_name: `Authentication: ${activity.name}`,
      ...common(event, productVersion),
      user: user(event),
      session,
      auth_protocol: event.authorization?.method ?? undefined,
      service,
      dst_endpoint: { svc_name: event.service.name },
    };
  }
  const activity = apiActivity(event.action);
  return {
    category_uid: 6,
    category_name: 'Application Activity',
    class_uid: 6003,
    class_name: 'API Activity',
    activity_id: activity.id,
    activity_name: activity.name,
    type_uid: 6003 * 100 + activity.id,
    type_name: `API Activity: ${activity.name}`,
    ...common(event, productVersion),
    actor: { user: user(event), session, app_name: event.service.name },
    api: { operation: event.action, service, request: { uid: event.correlation_id ?? event.id } },
    resources: event.target
      ? [
          {
            uid: event.target.id ?? undefined,
            type: event.target.type,
            name: event.target.name ?? undefined,
            data: Object.keys(event.target.attributes).length > 0 ? event.target.attributes : undefined,
          },
        ]
      : undefined,
    // Required by the class; audit events come from the organisation's own services.
    cloud: { provider: event.service.environment ?? 'unknown' },
  };
}
