import type { AuditEventJson } from '@auditflow/schemas';

/**
 * Subscriber filters (L1). Each field holds alternatives (OR); fields combine with AND. Only
 * `action` takes `*` wildcards. `actor` matches the actor id or e-mail; `target` matches the
 * target id or `type:id`.
 */
export interface Filters {
  readonly action?: readonly string[];
  readonly category?: readonly string[];
  readonly actor?: readonly string[];
  readonly target?: readonly string[];
  readonly outcome?: readonly string[];
  readonly tenant_id?: readonly string[];
}

export const FILTER_FIELDS = ['action', 'category', 'actor', 'target', 'outcome', 'tenant_id'] as const;

export class FilterError extends Error {
  override readonly name = 'FilterError';
}

const OUTCOMES = new Set(['success', 'failure', 'denied', 'unknown']);

/** Filters from query parameters (repeatable, or comma-separated); unknown parameters are left alone. */
export function parseFilters(params: URLSearchParams): Filters {
  const out: Record<string, string[]> = {};
  for (const field of FILTER_FIELDS) {
    const values = params
      .getAll(field)
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter((v) => v.length > 0);
    if (values.some((v) => v.length > 512))
      throw new FilterError(`${field}: values are at most 512 characters`);
    if (values.length > 64) throw new FilterError(`${field}: at most 64 values`);
    if (field === 'outcome') {
      const bad = values.find((v) => !OUTCOMES.has(v));
      if (bad) throw new FilterError(`outcome: ${bad} is not one of ${[...OUTCOMES].join(', ')}`);
    }
    if (values.length > 0) out[field] = values;
  }
  return out;
}

const globCache = new Map<string, RegExp>();
function glob(pattern: string): RegExp {
  let regex = globCache.get(pattern);
  if (!regex) {
    const body = pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    regex = new RegExp(`^${body}$`);
    if (globCache.size < 10_000) globCache.set(pattern, regex);
  }
  return regex;
}

const actionMatches = (patterns: readonly string[], action: string): boolean =>
  patterns.some((p) => (p.includes('*') ? glob(p).test(action) : p === action));

export function matches(filters: Filters, event: AuditEventJson): boolean {
  if (filters.tenant_id && !filters.tenant_id.includes(event.tenant_id)) return false;
  if (filters.action && !actionMatches(filters.action, event.action)) return false;
  if (filters.category && (event.category === null || !filters.category.includes(event.category)))
    return false;
  if (filters.outcome && !filters.outcome.includes(event.outcome)) return false;
  if (
    filters.actor &&
    !filters.actor.some(
      (a) => a === event.actor.id || (event.actor.email !== null && a === event.actor.email),
    )
  )
    return false;
  if (filters.target) {
    const t = event.target;
    if (!t || !filters.target.some((x) => (t.id !== null && x === t.id) || x === `${t.type}:${t.id ?? ''}`))
      return false;
  }
  return true;
}
