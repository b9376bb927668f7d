/**
 * Sessions (issue 17): agent flow sessions and any correlation id with lifecycle events, each
 * with its status, duration, actor and counts. A session is keyed by its correlation id; its
 * status is what its latest lifecycle event says.
 */

/** Lifecycle actions: a session's start, pauses and end (E3's agent flow and chat-ops actions). */
export const LIFECYCLE_SUFFIXES = ['started', 'paused', 'resumed', 'completed', 'failed'] as const;
/** Sessions listed per request, newest activity first. */
export const SESSIONS_PAGE = 100;

export type SessionStatus = 'running' | 'completed' | 'failed' | 'paused';

/** The status a session is in after its latest lifecycle action. */
export function sessionStatus(latestLifecycleAction: string | undefined): SessionStatus {
  const suffix = latestLifecycleAction?.slice(latestLifecycleAction.lastIndexOf('.') + 1);
  if (suffix === 'completed') return 'completed';
  if (suffix === 'failed') return 'failed';
  if (suffix === 'paused') return 'paused';
  return 'running';
}

/** Events that open, pause or close a session and carry a correlation id. */
export function lifecycleQuery(): object {
  return {
    bool: {
      filter: [{ exists: { field: 'audit.correlation_id' } }],
      should: LIFECYCLE_SUFFIXES.map((s) => ({ wildcard: { 'event.action': { value: `*.${s}` } } })),
      minimum_should_match: 1,
    },
  };
}

const TOP_HIT_FIELDS = [
  '@timestamp',
  'event',
  'user',
  'audit.actor',
  'audit.outcome',
  'organization',
  'service',
  'error',
];

/** Aggregations over lifecycle events: one bucket per session, newest activity first. */
export function lifecycleAggs(): Record<string, object> {
  return {
    sessions: {
      terms: { field: 'audit.correlation_id', size: SESSIONS_PAGE, order: { last: 'desc' } },
      aggs: {
        first: { min: { field: '@timestamp' } },
        last: { max: { field: '@timestamp' } },
        opening: { top_hits: { size: 1, sort: [{ '@timestamp': 'asc' }], _source: TOP_HIT_FIELDS } },
        latest: { top_hits: { size: 1, sort: [{ '@timestamp': 'desc' }], _source: TOP_HIT_FIELDS } },
      },
    },
  };
}

/** Aggregations over every event of the given sessions: counts, outcomes, the last activity. */
export function countAggs(ids: readonly string[]): Record<string, object> {
  return {
    sessions: {
      terms: { field: 'audit.correlation_id', size: ids.length, include: [...ids] },
      aggs: {
        last: { max: { field: '@timestamp' } },
        outcomes: { terms: { field: 'audit.outcome' } },
      },
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: index documents are schemaless JSON.
type Doc = any;

export interface SessionSummary {
  readonly id: string;
  readonly status: SessionStatus;
  readonly started_at: string | undefined;
  readonly last_event_at: string | undefined;
  readonly duration_ms: number | undefined;
  readonly actor: { id?: string; name?: string; type?: string };
  readonly tenant_id: string | undefined;
  readonly opened_by: string | undefined;
  readonly latest_action: string | undefined;
  readonly events: number;
  readonly failures: number;
  readonly denials: number;
}

interface LifecycleBucket {
  key: string;
  first?: { value_as_string?: string; value?: number | null };
  last?: { value_as_string?: string; value?: number | null };
  opening?: { hits: { hits: { _source: Doc }[] } };
  latest?: { hits: { hits: { _source: Doc }[] } };
}
interface CountBucket {
  key: string;
  doc_count: number;
  last?: { value?: number | null };
  outcomes?: { buckets: { key: string; doc_count: number }[] };
}

/** The session list from the two aggregations; `mask` hides operators from tenant viewers. */
export function summarizeSessions(
  lifecycle: readonly LifecycleBucket[],
  counts: readonly CountBucket[],
  mask: (doc: Doc) => Doc,
): SessionSummary[] {
  const byId = new Map(counts.map((c) => [c.key, c]));
  return lifecycle.map((b) => {
    const opening = mask(b.opening?.hits.hits[0]?._source ?? {});
    const latest = b.latest?.hits.hits[0]?._source ?? {};
    const count = byId.get(b.key);
    const outcome = (name: string): number =>
      count?.outcomes?.buckets.find((o) => o.key === name)?.doc_count ?? 0;
    const first = b.first?.value ?? undefined;
    const last = Math.max(b.last?.value ?? 0, count?.last?.value ?? 0) || undefined;
    return {
      id: b.key,
      status: sessionStatus(latest.event?.action),
      started_at: first === undefined || first === null ? undefined : new Date(first).toISOString(),
      last_event_at: last === undefined ? undefined : new Date(last).toISOString(),
      duration_ms: first === undefined || first === null || last === undefined ? undefined : last - first,
      actor: { id: opening.user?.id, name: opening.user?.name, type: opening.audit?.actor?.type },
      tenant_id: opening.organization?.id,
      opened_by: opening.event?.action,
      latest_action: latest.event?.action,
      events: count?.doc_count ?? 0,
      failures: outcome('failure'),
      denials: outcome('denied'),
    };
  });
}
