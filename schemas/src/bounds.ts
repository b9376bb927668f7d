import type { FieldIssue } from './errors.ts';

/**
 * The bounds of the event contract: what every producer checks before an event reaches Kafka,
 * so that no single event can break storage downstream (S3 keys are at most 1,024 bytes, ES
 * index names at most 255 bytes and lower case, keywords and Kafka messages have their limits).
 * Lengths are UTF-8 bytes, never characters: 128 CJK characters are 384 bytes.
 */

/**
 * Tenant ids travel into S3 keys and ES index names: lower-case ASCII letters, digits, `-`,
 * `_` and `.`, starting with a letter or digit, 1–64 bytes. ASCII only, so bytes = characters.
 */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const TENANT_ID_MAX_BYTES = 64;
export const TENANT_ID_RULE =
  'lower-case ASCII letters, digits, "-", "_" and ".", starting with a letter or digit, 1-64 bytes';

/** Correlation ids are Kafka keys and ES keywords: visible ASCII (no spaces or controls). */
export const CORRELATION_ID_PATTERN = /^[\x21-\x7e]{1,256}$/;

/** W3C trace context: lower-case hex, never all zeros (an all-zero id is invalid by the spec). */
export const TRACE_ID_PATTERN = /^(?!0{32})[0-9a-f]{32}$/;
export const SPAN_ID_PATTERN = /^(?!0{16})[0-9a-f]{16}$/;

/** Byte limits per string field (UTF-8). */
export const MAX_BYTES = {
  action: 200,
  category: 64,
  'actor.id': 512,
  'actor.name': 512,
  'actor.email': 320,
  'actor.user_agent': 1024,
  'actor.session_id': 256,
  'target.type': 128,
  'target.id': 512,
  'target.name': 1024,
  'target.attributes key': 128,
  'target.attributes value': 1024,
  'error.code': 128,
  'error.message': 8192,
  'service.name': 128,
  'service.version': 64,
  'service.instance': 256,
  'service.environment': 64,
  'authorization.method': 64,
  'authorization.scopes[]': 256,
  'changes[].field': 256,
  /** JSON text of each `changes[].before` / `changes[].after`. */
  'changes[].before/after': 64 * 1024,
  /** JSON text of `details`. */
  details: 256 * 1024,
} as const;

/** Item limits per array or map. */
export const MAX_ITEMS = {
  'target.attributes': 64,
  'authorization.scopes': 256,
  changes: 1000,
} as const;

/** Deeper `details` (or `changes[].before/after`) are refused: real audit data is shallow. */
export const MAX_DETAILS_DEPTH = 32;

/** A lone UTF-16 surrogate has no UTF-8 encoding: invalid in an Avro string and in JSON text. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const utf8Bytes = (value: string): number => Buffer.byteLength(value, 'utf8');
export const isWellFormed = (value: string): boolean => !LONE_SURROGATE.test(value);
export const hasNul = (value: string): boolean => value.includes('\u0000');

/** Whether a string holds a C0 control, DEL or a C1 control: nothing an identifier needs. */
export function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/** The rule names a FieldIssue carries for these bounds. */
export const RULES = {
  maxBytes: 'max_bytes',
  maxItems: 'max_items',
  maxDepth: 'max_depth',
  wellFormed: 'well_formed',
  noControl: 'no_control',
  noNul: 'no_nul',
  occurredAtAhead: 'occurred_at_ahead',
  occurredAtBehind: 'occurred_at_behind',
  reservedTenant: 'reserved_tenant',
  reservedAction: 'reserved_action',
} as const;

// ---- occurred_at window -------------------------------------------------------------------

/** How far `occurred_at` may lie from the time of receipt. */
export interface OccurredAtWindow {
  readonly aheadMs: number;
  readonly behindMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const DEFAULT_OCCURRED_AT_WINDOW: OccurredAtWindow = { aheadMs: 24 * HOUR, behindMs: 30 * DAY };
export const OCCURRED_AT_AHEAD_ENV = 'AUDITFLOW_OCCURRED_AT_MAX_AHEAD';
export const OCCURRED_AT_BEHIND_ENV = 'AUDITFLOW_OCCURRED_AT_MAX_BEHIND';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: HOUR, d: DAY } as const;
const DURATION = /^(\d{1,9})(ms|s|m|h|d)$/;

/** `90s`, `15m`, `24h`, `30d` in milliseconds, or undefined when it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** The window from the environment (validated at start: throws naming the variable and the fix). */
export function occurredAtWindowFromEnv(env: NodeJS.ProcessEnv = process.env): OccurredAtWindow {
  const read = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const ms = parseDuration(raw);
    if (ms === undefined || ms <= 0) {
      throw new Error(`${name}=${JSON.stringify(raw)} is not a positive duration: use e.g. 90m, 24h or 30d`);
    }
    return ms;
  };
  return {
    aheadMs: read(OCCURRED_AT_AHEAD_ENV, DEFAULT_OCCURRED_AT_WINDOW.aheadMs),
    behindMs: read(OCCURRED_AT_BEHIND_ENV, DEFAULT_OCCURRED_AT_WINDOW.behindMs),
  };
}

const human = (ms: number): string =>
  ms % DAY === 0 ? `${ms / DAY} d` : ms % HOUR === 0 ? `${ms / HOUR} h` : `${ms / 1000} s`;

/** The issue with `occurred_at` relative to the receipt time, if it lies outside the window. */
export function occurredAtIssue(
  occurredAt: number,
  receivedAt: number,
  window: OccurredAtWindow,
): FieldIssue | undefined {
  if (occurredAt > receivedAt + window.aheadMs) {
    return {
      field: 'occurred_at',
      rule: RULES.occurredAtAhead,
      message: `more than ${human(window.aheadMs)} after the time of receipt`,
    };
  }
  if (occurredAt < receivedAt - window.behindMs) {
    return {
      field: 'occurred_at',
      rule: RULES.occurredAtBehind,
      message: `more than ${human(window.behindMs)} before the time of receipt`,
    };
  }
  return undefined;
}

// ---- what only the pipeline writes --------------------------------------------------------

/** The tenant the pipeline audits itself under (gateway auth, exports, retention sweeps). */
export const SYSTEM_TENANT_ENV = 'AUDITFLOW_SYSTEM_TENANT';
export const DEFAULT_SYSTEM_TENANT = 'auditflow';
/** Actions the pipeline emits about itself (`audit.log.exported`, `audit.archive.deleted`). */
export const PIPELINE_ACTION_PREFIX = 'audit.';

export function systemTenantFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const tenant = env[SYSTEM_TENANT_ENV] || DEFAULT_SYSTEM_TENANT;
  if (!TENANT_ID_PATTERN.test(tenant)) {
    throw new Error(
      `${SYSTEM_TENANT_ENV}=${JSON.stringify(tenant)} is not a valid tenant id: ${TENANT_ID_RULE}`,
    );
  }
  return tenant;
}

/** Issues for an event that claims to be the pipeline's own (its tenant or an `audit.*` action). */
export function reservedOriginIssues(
  event: { readonly tenant_id?: unknown; readonly action?: unknown },
  systemTenant: string,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (event.tenant_id === systemTenant) {
    issues.push({
      field: 'tenant_id',
      rule: RULES.reservedTenant,
      message: `"${systemTenant}" is the pipeline's own tenant; clients cannot write it`,
    });
  }
  if (typeof event.action === 'string' && event.action.startsWith(PIPELINE_ACTION_PREFIX)) {
    issues.push({
      field: 'action',
      rule: RULES.reservedAction,
      message: `${PIPELINE_ACTION_PREFIX}* actions are the pipeline's own; clients cannot write them`,
    });
  }
  return issues;
}
