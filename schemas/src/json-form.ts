import { z } from 'zod';
import {
  CORRELATION_ID_PATTERN,
  DEFAULT_OCCURRED_AT_WINDOW,
  hasControl,
  hasNul,
  isWellFormed,
  MAX_BYTES,
  MAX_DETAILS_DEPTH,
  MAX_ITEMS,
  type OccurredAtWindow,
  occurredAtIssue,
  RULES,
  SPAN_ID_PATTERN,
  TENANT_ID_MAX_BYTES,
  TENANT_ID_PATTERN,
  TENANT_ID_RULE,
  TRACE_ID_PATTERN,
  utf8Bytes,
} from './bounds.ts';
import { EventValidationError, type FieldIssue } from './errors.ts';
import {
  type ActorType,
  ActorTypeSymbols,
  type AuditEvent,
  type Enrichment,
  type ErrorClass,
  ErrorClassSymbols,
  type Ingest,
  type IngestVia,
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

/** Zod options for a custom check whose FieldIssue carries `rule`. */
const rule = (name: string, message: string) => ({ message, params: { rule: name } });

/**
 * A string of at most `maxBytes` UTF-8 bytes without lone surrogates. `id` strings (ids,
 * names of things, codes) also refuse control characters; `text` (names of people, messages,
 * user agents) keeps tabs and newlines and refuses only NUL.
 */
function bounded(maxBytes: number, kind: 'id' | 'text' = 'id') {
  const base = z
    .string()
    .refine(isWellFormed, rule(RULES.wellFormed, 'contains a lone UTF-16 surrogate (not valid UTF-8)'))
    // Three bytes per UTF-16 code unit at most: only long strings need counting.
    .refine(
      (v) => v.length * 3 <= maxBytes || utf8Bytes(v) <= maxBytes,
      rule(RULES.maxBytes, `at most ${maxBytes} bytes (UTF-8)`),
    );
  return kind === 'id'
    ? base.refine((v) => !hasControl(v), rule(RULES.noControl, 'control characters are not allowed'))
    : base.refine((v) => !hasNul(v), rule(RULES.noNul, 'NUL characters are not allowed'));
}
const required = (maxBytes: number) => bounded(maxBytes).min(1, 'required');
const scalar = z.union([bounded(MAX_BYTES['target.attributes value'], 'text'), z.number(), z.boolean()]);
const isoTime = z.iso.datetime({ offset: true, message: 'an ISO 8601 date-time with a time zone' });
const maxEntries = (max: number) => rule(RULES.maxItems, `at most ${max} entries`);

export const auditEventInputSchema = z.strictObject({
  id: z.uuid('a UUID').optional(),
  occurred_at: isoTime.optional(),
  action: bounded(MAX_BYTES.action).regex(ACTION_PATTERN, 'a dotted lower-case namespace such as git.push'),
  category: bounded(MAX_BYTES.category).nullish(),
  actor: z.strictObject({
    type: z.enum(ActorTypeSymbols),
    id: required(MAX_BYTES['actor.id']),
    name: bounded(MAX_BYTES['actor.name'], 'text').nullish(),
    email: z.email('an e-mail address').max(MAX_BYTES['actor.email']).nullish(),
    ip: z.union([z.ipv4(), z.ipv6()], { message: 'an IPv4 or IPv6 address' }).nullish(),
    user_agent: bounded(MAX_BYTES['actor.user_agent'], 'text').nullish(),
    session_id: bounded(MAX_BYTES['actor.session_id']).nullish(),
  }),
  target: z
    .strictObject({
      type: required(MAX_BYTES['target.type']),
      id: z.union([bounded(MAX_BYTES['target.id']), z.number()]).nullish(),
      name: bounded(MAX_BYTES['target.name'], 'text').nullish(),
      attributes: z
        .record(bounded(MAX_BYTES['target.attributes key']), scalar)
        .refine(
          (a) => Object.keys(a).length <= MAX_ITEMS['target.attributes'],
          maxEntries(MAX_ITEMS['target.attributes']),
        )
        .optional(),
    })
    .nullish(),
  outcome: z.enum(OutcomeSymbols),
  error: z
    .strictObject({
      class: z.enum(ErrorClassSymbols),
      code: z.union([bounded(MAX_BYTES['error.code']), z.number()]).nullish(),
      message: bounded(MAX_BYTES['error.message'], 'text').nullish(),
    })
    .nullish(),
  correlation_id: z
    .string()
    .regex(CORRELATION_ID_PATTERN, '1-256 visible ASCII characters (no spaces or controls)')
    .nullish(),
  trace_id: z
    .string()
    .regex(TRACE_ID_PATTERN, '32 lower-case hex digits, not all zero (W3C trace id)')
    .nullish(),
  span_id: z
    .string()
    .regex(SPAN_ID_PATTERN, '16 lower-case hex digits, not all zero (W3C span id)')
    .nullish(),
  tenant_id: required(TENANT_ID_MAX_BYTES).regex(TENANT_ID_PATTERN, TENANT_ID_RULE),
  service: z.strictObject({
    name: required(MAX_BYTES['service.name']),
    version: bounded(MAX_BYTES['service.version']).nullish(),
    instance: bounded(MAX_BYTES['service.instance']).nullish(),
    environment: bounded(MAX_BYTES['service.environment']).nullish(),
  }),
  duration_ms: z.number().finite().nonnegative('not negative').nullish(),
  authorization: z
    .strictObject({
      verified_at: isoTime.nullish(),
      method: bounded(MAX_BYTES['authorization.method']).nullish(),
      scopes: z
        .array(bounded(MAX_BYTES['authorization.scopes[]']))
        .max(MAX_ITEMS['authorization.scopes'])
        .optional(),
    })
    .nullish(),
  changes: z
    .array(
      z.strictObject({
        field: required(MAX_BYTES['changes[].field']),
        before: z.unknown().optional(),
        after: z.unknown().optional(),
      }),
    )
    .max(MAX_ITEMS.changes)
    .optional(),
  details: z.unknown().optional(),
  /** Stamped by the pipeline: whatever a client sends here is overwritten, never trusted. */
  ingest: z.unknown().optional(),
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
  /** Stamped by the gateway or the SDK; null on events written before schema v3. */
  ingest: (Omit<Ingest, 'received_at'> & { received_at: string }) | null;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** `actor.id`, `changes[0].field`: the dotted path of an issue, `[i]` for items. */
const fieldOf = (path: readonly PropertyKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');

function zodIssues(error: z.ZodError, input: unknown): FieldIssue[] {
  return error.issues.map((issue) => {
    const field = fieldOf(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const prefix = field ? `${field}.` : '';
      // The names are the client's: shown shortened, and only the first few.
      const names = issue.keys.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 64)));
      return {
        field: `${prefix}${(issue.keys[0] ?? '').slice(0, 64)}`,
        rule: issue.code,
        message: `unknown field(s) ${names.join(', ')}${issue.keys.length > 5 ? ', …' : ''}`,
      };
    }
    if (issue.code === 'invalid_key') {
      // A bad map key: name the map, not the key (which may be long or hold controls).
      const inner = issue.issues[0];
      return {
        field: fieldOf(issue.path.slice(0, -1)),
        rule: inner ? ruleOf(inner) : issue.code,
        message: `a key: ${inner?.message ?? issue.message}`,
      };
    }
    if (valueAt(input, issue.path) === undefined) return { field, rule: 'required', message: 'required' };
    const message =
      issue.code === 'invalid_value' ? `must be one of ${issue.values.join(', ')}` : issue.message;
    return { field, rule: ruleOf(issue), message };
  });
}

/** The rule name of a zod issue: ours for custom checks, a size rule by what was measured. */
function ruleOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_format':
      return issue.format === 'regex' ? 'pattern' : `format:${issue.format}`;
    case 'custom':
      return typeof issue.params?.rule === 'string' ? issue.params.rule : 'custom';
    case 'too_big':
      return issue.origin === 'array' ? RULES.maxItems : issue.origin === 'string' ? 'max_length' : 'max';
    case 'too_small':
      return issue.origin === 'string' && issue.minimum === 1 ? 'required' : 'too_small';
    default:
      return issue.code;
  }
}

/**
 * The first problem of a JSON value, walking it at most `MAX_DETAILS_DEPTH` levels deep (so a
 * 10,000-deep object cannot blow the stack, and a cycle, infinitely deep, is caught too):
 * nesting, or a key or string with a lone surrogate.
 */
function jsonValueIssue(value: unknown, field: string, depth = 0): FieldIssue | undefined {
  if (typeof value === 'string') {
    return isWellFormed(value)
      ? undefined
      : { field, rule: RULES.wellFormed, message: 'contains a lone UTF-16 surrogate (not valid UTF-8)' };
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth === MAX_DETAILS_DEPTH) {
    return { field, rule: RULES.maxDepth, message: `nested deeper than ${MAX_DETAILS_DEPTH} levels` };
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      const issue = jsonValueIssue(item, field, depth + 1);
      if (issue) return issue;
    }
    return undefined;
  }
  for (const key in value) {
    const issue =
      jsonValueIssue(key, field, depth + 1) ??
      jsonValueIssue((value as Record<string, unknown>)[key], field, depth + 1);
    if (issue) return issue;
  }
  return undefined;
}

/** JSON text of an arbitrary value, or an issue: depth, size, cycles and non-JSON values are refused. */
function jsonText(value: unknown, field: string, maxBytes: number, issues: FieldIssue[]): string | null {
  if (value === undefined || value === null) return null;
  const problem = jsonValueIssue(value, field);
  if (problem) {
    issues.push(problem);
    return null;
  }
  let text: string | null;
  try {
    text = JSON.stringify(value) ?? null;
  } catch (err) {
    issues.push({ field, rule: 'json', message: `not representable as JSON (${(err as Error).message})` });
    return null;
  }
  if (text !== null && text.length * 3 > maxBytes && utf8Bytes(text) > maxBytes) {
    issues.push({ field, rule: RULES.maxBytes, message: `JSON text over ${maxBytes} bytes` });
    return null;
  }
  return text;
}

const millis = (iso: string | null | undefined): number | null => (iso ? Date.parse(iso) : null);
const str = (v: string | number | null | undefined): string | null =>
  v === null || v === undefined ? null : String(v);

/** Where an event entered the pipeline (the `ingest` field), as a producer stamps it. */
export interface IngestStampInput {
  readonly via: IngestVia;
  /** The authenticated gateway client, or the SDK's producer id. */
  readonly clientId: string;
  /** Receipt time (ms): the gateway's request, or the SDK's emit() call. */
  readonly receivedAt: number;
}

/** What the producer adds to every event. */
export interface ProducerStampInput {
  readonly id: string;
  readonly occurredAt: number;
  readonly producerId: string;
  readonly sequence: number;
  /** The origin; whatever the input's `ingest` said is replaced by this (or by null without it). */
  readonly ingest?: IngestStampInput;
  /** With an ingest stamp, `occurred_at` must lie within this window around `receivedAt`. */
  readonly window?: OccurredAtWindow;
}

/**
 * Validates the JSON form and builds the Avro record. Throws EventValidationError naming every
 * broken field and rule. `stamp` fills id/occurred_at when absent and stamps producer/sequence
 * and the origin; with an origin (a real receipt) `occurred_at` is checked against the window.
 */
export function toAuditEvent(input: unknown, stamp: ProducerStampInput): AuditEvent {
  const parsed = auditEventInputSchema.safeParse(input);
  if (!parsed.success) throw new EventValidationError(zodIssues(parsed.error, input));
  const e: ValidInput = parsed.data;
  const issues: FieldIssue[] = [];
  const details = jsonText(e.details, 'details', MAX_BYTES.details, issues);
  const changeBytes = MAX_BYTES['changes[].before/after'];
  const changes = (e.changes ?? []).map((c, i) => ({
    field: c.field,
    before: jsonText(c.before, `changes[${i}].before`, changeBytes, issues),
    after: jsonText(c.after, `changes[${i}].after`, changeBytes, issues),
  }));
  const occurredAt = e.occurred_at ? Date.parse(e.occurred_at) : stamp.occurredAt;
  if (stamp.ingest) {
    const late = occurredAtIssue(
      occurredAt,
      stamp.ingest.receivedAt,
      stamp.window ?? DEFAULT_OCCURRED_AT_WINDOW,
    );
    if (late) issues.push(late);
  }
  if (issues.length > 0) throw new EventValidationError(issues);
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.target?.attributes ?? {})) attributes[k] = String(v);
  return {
    schema_version: AUDIT_EVENT_SCHEMA_VERSION,
    id: e.id ?? stamp.id,
    occurred_at: occurredAt,
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
    ingest: stamp.ingest
      ? { via: stamp.ingest.via, client_id: stamp.ingest.clientId, received_at: stamp.ingest.receivedAt }
      : null,
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
    ingest: event.ingest
      ? { ...event.ingest, received_at: new Date(event.ingest.received_at).toISOString() }
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
    // Archives written before schema v3 have no ingest field at all.
    ingest: json.ingest ? { ...json.ingest, received_at: Date.parse(json.ingest.received_at) } : null,
  };
}

/** The problems with an event, or an empty list: validation without building anything to keep. */
export function validateEvent(
  input: unknown,
  receipt: { readonly receivedAt?: number; readonly window?: OccurredAtWindow } = {},
): readonly FieldIssue[] {
  try {
    toAuditEvent(input, {
      id: '00000000-0000-7000-8000-000000000000',
      occurredAt: receipt.receivedAt ?? Date.now(),
      producerId: '-',
      sequence: 0,
      ingest: { via: 'sdk', clientId: '-', receivedAt: receipt.receivedAt ?? Date.now() },
      ...(receipt.window ? { window: receipt.window } : {}),
    });
    return [];
  } catch (err) {
    if (err instanceof EventValidationError) return err.issues;
    throw err;
  }
}
