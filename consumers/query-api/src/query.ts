import { FINGERPRINT_HEX_LENGTH, SECRET_FINGERPRINTS_FIELD } from '@auditflow/schemas';
import { z } from 'zod';

/** The largest page `GET /v1/events` serves; more is an export (capped and audited). */
export const MAX_PAGE_SIZE = 1000;

/** Filters of `GET /v1/events` and `/v1/export` (SPEC Q1). */
export const filtersSchema = z.strictObject({
  from: z.string().optional(),
  to: z.string().optional(),
  actor: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  target: z.string().min(1).optional(),
  outcome: z.enum(['success', 'failure', 'denied', 'unknown']).optional(),
  correlation_id: z.string().min(1).optional(),
  tenant_id: z.string().min(1).optional(),
  q: z.string().min(1).max(200).optional(),
  /**
   * `auditflow search --secret-value`: keyed fingerprints of one secret, never the secret; one
   * per redaction key in use (the current one and those before a rotation), comma-separated.
   */
  secret_fingerprint: z
    .string()
    .regex(
      new RegExp(`^[0-9a-f]{${FINGERPRINT_HEX_LENGTH}}(,[0-9a-f]{${FINGERPRINT_HEX_LENGTH}}){0,7}$`),
      `up to 8 comma-separated fingerprints of ${FINGERPRINT_HEX_LENGTH} lower-case hex digits`,
    )
    .optional(),
  size: z.coerce
    .number({ error: 'a number of events per page' })
    .int('a whole number of events per page')
    .min(1, 'at least 1 event per page')
    .max(MAX_PAGE_SIZE, `at most ${MAX_PAGE_SIZE} events per page; use /v1/export (capped, audited) for more`)
    .default(100),
  cursor: z.string().optional(),
  format: z.enum(['csv', 'ndjson']).optional(),
  limit: z.coerce
    .number({ error: 'a number of rows' })
    .int('a whole number of rows')
    .min(1, 'at least 1 row')
    .optional(),
  interval: z
    .string()
    .regex(/^\d+[mhd]$/, 'like 1h, 30m or 1d')
    .optional(),
});
export type Filters = z.output<typeof filtersSchema>;

export class QueryError extends Error {
  override readonly name = 'QueryError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A 400 naming the first problem of a request's parameters or body: `<field>: <rule>`. */
export function invalidParameter(error: z.ZodError, noun = 'parameter'): QueryError {
  const issue = error.issues[0];
  const message =
    issue?.code === 'unrecognized_keys'
      ? `unknown ${noun} ${issue.keys.join(', ')}`
      : `${issue?.path.join('.')}: ${issue?.message}`;
  return new QueryError(400, 'invalid_parameter', message);
}

/** `24h`, `30m`, `7d` before `now`, or an ISO time. */
export function parseTime(value: string, now: number): string {
  const relative = /^(\d+)([mhd])$/.exec(value);
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd'];
    return new Date(now - Number(relative[1]) * unit).toISOString();
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new QueryError(400, 'invalid_time', `'${value}' is neither an ISO time nor a duration like 24h`);
  return new Date(ms).toISOString();
}

/** The tenants a request may read: its own filter within the token's scope. */
export function tenantScope(scope: readonly string[], requested: string | undefined): string[] | 'all' {
  const all = scope.includes('*');
  if (requested) {
    if (!all && !scope.includes(requested))
      throw new QueryError(403, 'tenant_forbidden', `this token may not read tenant ${requested}`);
    return [requested];
  }
  return all ? 'all' : [...scope];
}

const escapeWildcard = (value: string): string => value.replace(/[?\\]/g, '\\$&');

/** The Elasticsearch query for the filters, always restricted to the caller's tenants. */
export function buildQuery(filters: Filters, scope: readonly string[], now = Date.now()) {
  const must: object[] = [];
  const tenants = tenantScope(scope, filters.tenant_id);
  if (tenants !== 'all') must.push({ terms: { 'organization.id': tenants } });
  if (filters.from || filters.to) {
    must.push({
      range: {
        '@timestamp': {
          ...(filters.from ? { gte: parseTime(filters.from, now) } : {}),
          ...(filters.to ? { lte: parseTime(filters.to, now) } : {}),
        },
      },
    });
  }
  if (filters.actor)
    must.push({
      bool: {
        should: [
          { term: { 'user.id': filters.actor } },
          { term: { 'user.name': filters.actor } },
          { term: { 'user.email': filters.actor } },
        ],
        minimum_should_match: 1,
      },
    });
  if (filters.action) {
    must.push(
      filters.action.includes('*')
        ? { wildcard: { 'event.action': { value: escapeWildcard(filters.action) } } }
        : { term: { 'event.action': filters.action } },
    );
  }
  if (filters.target)
    must.push({
      bool: {
        should: [
          { term: { 'audit.target.id': filters.target } },
          { term: { 'audit.target.name': filters.target } },
        ],
        minimum_should_match: 1,
      },
    });
  if (filters.outcome) must.push({ term: { 'audit.outcome': filters.outcome } });
  if (filters.correlation_id) must.push({ term: { 'audit.correlation_id': filters.correlation_id } });
  if (filters.secret_fingerprint)
    must.push({ terms: { [SECRET_FINGERPRINTS_FIELD]: filters.secret_fingerprint.split(',') } });
  if (filters.q)
    must.push({
      wildcard: {
        'audit.details': {
          value: `*${escapeWildcard(filters.q).replace(/\*/g, '\\*')}*`,
          case_insensitive: true,
        },
      },
    });
  return { bool: { filter: must } };
}

export const SORT = [{ '@timestamp': { order: 'desc' } }, { 'event.id': { order: 'desc' } }] as const;

export function encodeCursor(sort: readonly unknown[] | undefined): string | null {
  return sort ? Buffer.from(JSON.stringify(sort)).toString('base64url') : null;
}

export function decodeCursor(cursor: string | undefined): unknown[] | undefined {
  if (!cursor) return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value)) return value;
  } catch {
    // fall through
  }
  throw new QueryError(400, 'invalid_cursor', 'the cursor is not one this API returned');
}

/** A CSV cell, quoted, and neutralised when a spreadsheet would run it as a formula. */
export function csvCell(value: unknown): string {
  let text =
    value === null || value === undefined
      ? ''
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replaceAll('"', '""')}"`;
}

// biome-ignore lint/suspicious/noExplicitAny: documents are schemaless JSON; each column reads its own optional path.
type Doc = any;

export const CSV_COLUMNS: readonly [string, (doc: Doc) => unknown][] = [
  ['timestamp', (d) => d['@timestamp']],
  ['event_id', (d) => d.event?.id],
  ['action', (d) => d.event?.action],
  ['outcome', (d) => d.audit?.outcome],
  ['tenant_id', (d) => d.organization?.id],
  ['actor_type', (d) => d.audit?.actor?.type],
  ['actor_id', (d) => d.user?.id],
  ['actor_name', (d) => d.user?.name],
  ['source_ip', (d) => d.source?.ip ?? d.audit?.actor?.ip],
  ['target_type', (d) => d.audit?.target?.type],
  ['target_id', (d) => d.audit?.target?.id],
  ['service', (d) => d.service?.name],
  ['correlation_id', (d) => d.audit?.correlation_id],
  ['error_type', (d) => d.error?.type],
  ['error_message', (d) => d.error?.message],
  ['details', (d) => d.audit?.details],
];
