import { z } from 'zod';
import { EventValidationError, type FieldIssue } from './errors.ts';
import {
  type ActorType,
  ActorTypeSymbols,
  type AuditEvent,
  type Enrichment,
  type ErrorClass,
  ErrorClassSymbols,
  type Outcome,
  OutcomeSymbols,
  type SanitizationReport,
} from './generated/audit-event.ts';
import { AUDIT_EVENT_SCHEMA_VERSION } from './schema.ts';

/**
 * The JSON form of an event (SPEC "Interfaces"): what the gateway accepts, the CLI prints and
 * exports contain. Field names are exactly the Avro field names. This module validates it,
 * with an error per field naming the rule, and converts it to and from the Avro record.
 */

/** Lower-case dotted namespace with at least two segments: `git.push`, `gitlab.api.post_mr_note`. */
export const ACTION_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
/** Deeper `details` than this are refused: real audit data is shallow, and deep nesting is an attack. */
export const MAX_DETAILS_DEPTH = 32;

const text = (max: number) => z.string().max(max, `at most ${max} characters`);
const optionalText = (max: number) => text(max).nullish();
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const isoTime = z.iso.datetime({ offset: true, message: 'an ISO 8601 date-time with a time zone' });

export const auditEventInputSchema = z.strictObject({
  id: z.uuid('a UUID').optional(),
  occurred_at: isoTime.optional(),
  action: text(200).regex(ACTION_PATTERN, 'a dotted lower-case namespace such as git.push'),
  category: optionalText(64),
  actor: z.strictObject({
    type: z.enum(ActorTypeSymbols),
    id: text(512).min(1, 'required'),
    name: optionalText(512),
    email: z.email('an e-mail address').max(320).nullish(),
    ip: z.union([z.ipv4(), z.ipv6()], { message: 'an IPv4 or IPv6 address' }).nullish(),
    user_agent: optionalText(1024),
    session_id: optionalText(256),
  }),
  target: z
    .strictObject({
      type: text(128).min(1, 'required'),
      id: z.union([text(512), z.number()]).nullish(),
      name: optionalText(1024),
      attributes: z.record(text(128), scalar).optional(),
    })
    .nullish(),
  outcome: z.enum(OutcomeSymbols),
  error: z
    .strictObject({
      class: z.enum(ErrorClassSymbols),
      code: z.union([text(128), z.number()]).nullish(),
      message: optionalText(8192),
    })
    .nullish(),
  correlation_id: optionalText(256),
  trace_id: z.string().regex(HEX32, '32 lower-case hex digits (W3C trace id)').nullish(),
  span_id: z.string().regex(HEX16, '16 lower-case hex digits (W3C span id)').nullish(),
  tenant_id: text(128).min(1, 'required'),
  service: z.strictObject({
    name: text(128).min(1, 'required'),
    version: optionalText(64),
    instance: optionalText(256),
    environment: optionalText(64),
  }),
  duration_ms: z.number().finite().nonnegative('not negative').nullish(),
  authorization: z
    .strictObject({
      verified_at: isoTime.nullish(),
      method: optionalText(64),
      scopes: z.array(text(256)).max(256).optional(),
    })
    .nullish(),
  changes: z
    .array(
      z.strictObject({
        field: text(256).min(1, 'required'),
        before: z.unknown().optional(),
        after: z.unknown().optional(),
      }),
    )
    .max(1000)
    .optional(),
  details: z.unknown().optional(),
});

export type AuditEventInput = z.input<typeof auditEventInputSchema>;
type ValidInput = z.output<typeof auditEventInputSchema>;

/** The JSON form as read back (CLI, exports, subscribers): every field present. */
export interface AuditEventJson {
  schema_version: number;
  id: string;
  occurred_at: string;
  action: string;
  category: string | null;
  actor: {
    type: ActorType;
    id: string;
    name: string | null;
    email: string | null;
    ip: string | null;
    user_agent: string | null;
    session_id: string | null;
  };
  target: { type: string; id: string | null; name: string | null; attributes: Record<string, string> } | null;
  outcome: Outcome;
  error: { class: ErrorClass; code: string | null; message: string | null } | null;
  correlation_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  tenant_id: string;
  service: { name: string; version: string | null; instance: string | null; environment: string | null };
  duration_ms: number | null;
  authorization: { verified_at: string | null; method: string | null; scopes: string[] } | null;
  changes: { field: string; before: unknown; after: unknown }[];
  details: unknown;
  producer: { id: string; sequence: number };
  sanitization: SanitizationReport | null;
  enrichment: (Omit<Enrichment, 'processed_at'> & { processed_at: string }) | null;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function zodIssues(error: z.ZodError, input: unknown): FieldIssue[] {
  return error.issues.map((issue) => {
    const field = issue.path
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`))
      .join('');
    if (issue.code === 'unrecognized_keys') {
      const prefix = field ? `${field}.` : '';
      return {
        field: `${prefix}${issue.keys[0] ?? ''}`,
        rule: issue.code,
        message: `unknown field(s) ${issue.keys.join(', ')}`,
      };
    }
    if (valueAt(input, issue.path) === undefined) return { field, rule: 'required', message: 'required' };
    const rule =
      issue.code === 'invalid_format'
        ? issue.format === 'regex'
          ? 'pattern'
          : `format:${issue.format}`
        : issue.code;
    const message =
      issue.code === 'invalid_value' ? `must be one of ${issue.values.join(', ')}` : issue.message;
    return { field, rule, message };
  });
}

/** Whether a value nests deeper than `limit` levels; stops at the limit, so it cannot overflow. */
function deeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (limit === 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (deeperThan(item, limit - 1)) return true;
    return false;
  }
  for (const key in value) if (deeperThan((value as Record<string, unknown>)[key], limit - 1)) return true;
  return false;
}

/** JSON text of an arbitrary value, or an issue: depth, cycles and non-JSON values are refused. */
function jsonText(value: unknown, field: string, issues: FieldIssue[]): string | null {
  if (value === undefined || value === null) return null;
  // Depth first: a 10,000-deep object must not blow the stack of JSON.stringify (a cycle is
  // infinitely deep, so it is caught here too).
  if (deeperThan(value, MAX_DETAILS_DEPTH)) {
    issues.push({ field, rule: 'max_depth', message: `nested deeper than ${MAX_DETAILS_DEPTH} levels` });
    return null;
  }
  try {
    return JSON.stringify(value) ?? null;
  } catch (err) {
    issues.push({ field, rule: 'json', message: `not representable as JSON (${(err as Error).message})` });
    return null;
  }
}

const millis = (iso: string | null | undefined): number | null => (iso ? Date.parse(iso) : null);
const str = (v: string | number | null | undefined): string | null =>
  v === null || v === undefined ? null : String(v);

/** What the producer adds to every event. */
export interface ProducerStampInput {
  readonly id: string;
  readonly occurredAt: number;
  readonly producerId: string;
  readonly sequence: number;
}

/**
 * Validates the JSON form and builds the Avro record. Throws EventValidationError naming every
 * broken field and rule. `stamp` fills id/occurred_at when absent and stamps producer/sequence.
 */
export function toAuditEvent(input: unknown, stamp: ProducerStampInput): AuditEvent {
  const parsed = auditEventInputSchema.safeParse(input);
  if (!parsed.success) throw new EventValidationError(zodIssues(parsed.error, input));
  const e: ValidInput = parsed.data;
  const issues: FieldIssue[] = [];
  const details = jsonText(e.details, 'details', issues);
  const changes = (e.changes ?? []).map((c, i) => ({
    field: c.field,
    before: jsonText(c.before, `changes[${i}].before`, issues),
    after: jsonText(c.after, `changes[${i}].after`, issues),
  }));
  if (issues.length > 0) throw new EventValidationError(issues);
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.target?.attributes ?? {})) attributes[k] = String(v);
  return {
    schema_version: AUDIT_EVENT_SCHEMA_VERSION,
    id: e.id ?? stamp.id,
    occurred_at: e.occurred_at ? Date.parse(e.occurred_at) : stamp.occurredAt,
    action: e.action,
    category: e.category ?? null,
    actor: {
      type: e.actor.type,
      id: e.actor.id,
      name: e.actor.name ?? null,
      email: e.actor.email ?? null,
      ip: e.actor.ip ?? null,
      user_agent: e.actor.user_agent ?? null,
      session_id: e.actor.session_id ?? null,
    },
    target: e.target
      ? { type: e.target.type, id: str(e.target.id), name: e.target.name ?? null, attributes }
      : null,
    outcome: e.outcome,
    error: e.error
      ? { class: e.error.class, code: str(e.error.code), message: e.error.message ?? null }
      : null,
    correlation_id: e.correlation_id ?? null,
    trace_id: e.trace_id ?? null,
    span_id: e.span_id ?? null,
    tenant_id: e.tenant_id,
    service: {
      name: e.service.name,
      version: e.service.version ?? null,
      instance: e.service.instance ?? null,
      environment: e.service.environment ?? null,
    },
    duration_ms: e.duration_ms ?? null,
    authorization: e.authorization
      ? {
          verified_at: millis(e.authorization.verified_at),
          method: e.authorization.method ?? null,
          scopes: e.authorization.scopes ?? [],
        }
      : null,
    changes,
    details,
    producer: { id: stamp.producerId, sequence: stamp.sequence },
    sanitization: null,
    enrichment: null,
  };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const parseJson = (textValue: string | null): unknown => (textValue === null ? null : JSON.parse(textValue));

/** The JSON form of a decoded Avro record. */
export function toJsonForm(event: AuditEvent): AuditEventJson {
  return {
    ...event,
    occurred_at: new Date(event.occurred_at).toISOString(),
    authorization: event.authorization
      ? { ...event.authorization, verified_at: iso(event.authorization.verified_at) }
      : null,
    changes: event.changes.map((c) => ({
      field: c.field,
      before: parseJson(c.before),
      after: parseJson(c.after),
    })),
    details: parseJson(event.details),
    enrichment: event.enrichment
      ? { ...event.enrichment, processed_at: new Date(event.enrichment.processed_at).toISOString() }
      : null,
  };
}

const millisOf = (text: string | null): number | null => (text === null ? null : Date.parse(text));
const compactJson = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));

/**
 * The Avro record of an event read back in its JSON form (archive replay): the inverse of
 * `toJsonForm`. JSON-valued fields are re-serialised compactly, which is how producers write them.
 */
export function fromJsonForm(json: AuditEventJson): AuditEvent {
  return {
    ...json,
    occurred_at: Date.parse(json.occurred_at),
    authorization: json.authorization
      ? { ...json.authorization, verified_at: millisOf(json.authorization.verified_at) }
      : null,
    changes: json.changes.map((c) => ({
      field: c.field,
      before: compactJson(c.before),
      after: compactJson(c.after),
    })),
    details: compactJson(json.details),
    enrichment: json.enrichment
      ? { ...json.enrichment, processed_at: Date.parse(json.enrichment.processed_at) }
      : null,
  };
}

/** The problems with an event, or an empty list: validation without building anything to keep. */
export function validateEvent(input: unknown): readonly FieldIssue[] {
  try {
    toAuditEvent(input, {
      id: '00000000-0000-7000-8000-000000000000',
      occurredAt: 0,
      producerId: '-',
      sequence: 0,
    });
    return [];
  } catch (err) {
    if (err instanceof EventValidationError) return err.issues;
    throw err;
  }
}
