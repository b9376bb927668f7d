import type { KeyObject } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import {
  type ArchiveStore,
  DIGEST_PREFIX,
  KEYS_PREFIX,
  keyInRange,
  parseObjectKey,
  type ReconcileReport,
  reconcile,
  retentionReport,
  tenantSegment,
  verifyStore,
} from '@auditflow/archive';
import type { WireCodec } from '@auditflow/kafka';
import type { ActionCatalog, OccurredAtWindow, RetentionPolicy } from '@auditflow/schemas';
import type { Client } from '@elastic/elasticsearch';
import type { Kafka } from 'kafkajs';
import { digestCoverage } from './coverage.ts';
import { FRAMEWORK_DEFINITIONS } from './frameworks.ts';
import {
  type ActivitySection,
  type CompletenessSection,
  type Count,
  type EvidenceQuery,
  type EvidenceReport,
  type Figure,
  type Framework,
  type IntegritySection,
  type LossSection,
  REPORT_FORMAT,
  type RetentionSection,
} from './model.ts';
import {
  AU3_FIELDS,
  AU3_SOURCE,
  breakdownBody,
  type EsQuery,
  FIELDS,
  figureDefinitions,
  hourlyBody,
  incompleteFilter,
  intervalFor,
  missingFields,
  oldestPerClassBody,
  overTimeBody,
  type Scope,
  scoped,
} from './queries.ts';
import { summarize } from './summary.ts';

/** Everything a report reads: the index, the archive, the topics (for loss accounting), the policies. */
export interface EvidenceSources {
  readonly es: Client;
  /** Index pattern of the audit events (`audit-events*`). */
  readonly index: string;
  readonly store: ArchiveStore;
  readonly publicKey: KeyObject;
  readonly kafka: Kafka;
  readonly codec: WireCodec;
  readonly topics: { raw: string; clean: string; dlq: string; quarantine: string };
  readonly groups?: { sanitizer?: string; indexer?: string; archiver?: string };
  readonly rollWindowMs?: number;
  readonly lagAllowanceMs?: number;
  readonly window?: OccurredAtWindow;
  readonly policy: RetentionPolicy;
  readonly catalog: ActionCatalog;
}

export interface ReportRequest extends Scope {
  readonly framework: Framework;
  /** Defaults to a new UUID. */
  readonly id?: string;
  readonly now?: number;
  /** Most incomplete events listed (default 1,000); the count is always whole. */
  readonly listCap?: number;
}

const DEFAULT_LIST_CAP = 1000;

/** Collects the queries as they are run, numbering them Q1, Q2... in the report's order. */
class QueryLog {
  readonly queries: EvidenceQuery[] = [];
  constructor(private readonly index: string) {}

  es(body: EsQuery, endpoint: '_count' | '_search', queryApi?: string): string {
    const id = `Q${this.queries.length + 1}`;
    this.queries.push({
      id,
      kind: 'elasticsearch',
      method: 'POST',
      path: `/${this.index}/${endpoint}`,
      body,
      ...(queryApi ? { queryApi } : {}),
    });
    return id;
  }

  cli(command: string): string {
    const id = `Q${this.queries.length + 1}`;
    this.queries.push({ id, kind: 'cli', command });
    return id;
  }
}

/** The CLI's options for the scope, shell-quoted, so a printed command runs as it is. */
function scopeArgs(scope: Scope): string {
  const quote = (s: string) => (/^[A-Za-z0-9._:@/+-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);
  const tenant = scope.tenant === undefined ? '' : ` --tenant ${quote(scope.tenant)}`;
  return `--from ${new Date(scope.from).toISOString()} --to ${new Date(scope.to).toISOString()}${tenant}`;
}

function queryApiArgs(scope: Scope): string {
  const params = new URLSearchParams({
    from: new Date(scope.from).toISOString(),
    to: new Date(scope.to).toISOString(),
    ...(scope.tenant === undefined ? {} : { tenant_id: scope.tenant }),
  });
  return params.toString();
}

type Buckets = { buckets: { key: string | number; key_as_string?: string; doc_count: number }[] };
const countsOf = (agg: Buckets | undefined): Count[] =>
  (agg?.buckets ?? []).map((b) => ({ key: String(b.key), count: b.doc_count }));

async function count(es: Client, index: string, query: EsQuery): Promise<number> {
  return (await es.count({ index, query, ignore_unavailable: true, allow_no_indices: true })).count;
}

async function aggregate(es: Client, index: string, body: EsQuery): Promise<Record<string, unknown>> {
  const result = await es.search({ index, ignore_unavailable: true, allow_no_indices: true, ...body });
  return (result.aggregations ?? {}) as Record<string, unknown>;
}

async function activity(
  sources: EvidenceSources,
  scope: Scope,
  framework: Framework,
  log: QueryLog,
): Promise<ActivitySection> {
  const { es, index } = sources;
  const figures: Figure[] = [];
  for (const def of figureDefinitions(sources.catalog)) {
    const query = scoped(scope, def.filter);
    const queryId = log.es(
      { query },
      '_count',
      def.id === 'events' ? `GET /v1/summary?${queryApiArgs(scope)}` : undefined,
    );
    const value = await count(es, index, query);
    let breakdown: Count[] | undefined;
    if (def.breakdownBy && value > 0) {
      const body = breakdownBody(scope, def.breakdownBy, def.filter);
      log.es(body, '_search');
      breakdown = countsOf((await aggregate(es, index, body)).by as Buckets);
    }
    figures.push({
      id: def.id,
      label: def.label,
      definition: def.definition,
      value,
      query: queryId,
      ...(breakdown ? { breakdown } : {}),
    });
  }

  const categoryBody = breakdownBody(scope, FIELDS.category);
  const byCategoryQuery = log.es(categoryBody, '_search');
  const byCategory = countsOf((await aggregate(es, index, categoryBody)).by as Buckets);
  const outcomeBody = breakdownBody(scope, FIELDS.outcome);
  log.es(outcomeBody, '_search');
  const byOutcome = countsOf((await aggregate(es, index, outcomeBody)).by as Buckets);

  const timeBody = overTimeBody(scope);
  const timeQuery = log.es(
    timeBody,
    '_search',
    `GET /v1/summary?${queryApiArgs(scope)}&interval=${intervalFor(scope)}`,
  );
  const over = (await aggregate(es, index, timeBody)).over_time as
    | { buckets: { key_as_string: string; doc_count: number; outcome: Buckets }[] }
    | undefined;

  // The events carrying each of this framework's compliance tags (stamped from the catalog).
  const prefix = FRAMEWORK_DEFINITIONS[framework].tagPrefix;
  const tagBody = {
    size: 0,
    query: scoped(scope, { prefix: { [FIELDS.compliance]: prefix } }),
    aggs: { by: { terms: { field: FIELDS.compliance, size: 100 } } },
  };
  const tagQuery = log.es(tagBody, '_search');
  const tagged = countsOf((await aggregate(es, index, tagBody)).by as Buckets)
    .filter((c) => c.key.startsWith(prefix))
    .map((c) => ({
      id: `tag:${c.key}`,
      label: `Events tagged ${c.key}`,
      definition: `events whose catalog entry names ${c.key} (audit.compliance)`,
      value: c.count,
      query: tagQuery,
    }));

  return {
    total: figures.find((f) => f.id === 'events')?.value ?? 0,
    figures,
    byCategory,
    byCategoryQuery,
    byOutcome,
    overTime: {
      interval: intervalFor(scope),
      query: timeQuery,
      buckets: (over?.buckets ?? []).map((b) => ({
        start: b.key_as_string,
        total: b.doc_count,
        byOutcome: Object.fromEntries(countsOf(b.outcome).map((c) => [c.key, c.count])),
      })),
    },
    tagged,
  };
}

async function completeness(
  sources: EvidenceSources,
  scope: Scope,
  total: number,
  listCap: number,
  log: QueryLog,
): Promise<CompletenessSection> {
  const { es, index } = sources;
  const fields = [];
  for (const f of AU3_FIELDS) {
    const query = scoped(scope, f.missing);
    fields.push({
      field: f.field,
      definition: f.definition,
      missing: await count(es, index, query),
      query: log.es({ query }, '_count'),
    });
  }
  const query = scoped(scope, incompleteFilter());
  const incompleteTotal = await count(es, index, query);
  const body = {
    query,
    // Re-run, the same request gives the whole count (hits.total) beside the listed events.
    track_total_hits: true,
    size: Math.min(listCap, 10_000),
    sort: [{ [FIELDS.time]: { order: 'asc', unmapped_type: 'date' } }, { 'event.id': { order: 'asc' } }],
    _source: AU3_SOURCE,
  };
  const incompleteQuery = log.es(body, '_search');
  const hits =
    incompleteTotal === 0
      ? []
      : (await es.search({ index, ignore_unavailable: true, ...body } as never)).hits.hits;
  const incomplete = hits.map((h) => {
    // biome-ignore lint/suspicious/noExplicitAny: index documents are schemaless JSON.
    const doc = (h._source ?? {}) as Record<string, any>;
    return {
      id: String(doc.event?.id ?? h._id),
      time: String(doc['@timestamp'] ?? ''),
      action: String(doc.event?.action ?? ''),
      missing: missingFields(doc),
    };
  });
  const complete = total - incompleteTotal;
  return {
    total,
    complete,
    share: total === 0 ? 1 : complete / total,
    fields,
    incompleteQuery,
    incomplete,
    incompleteTotal,
    listCap,
  };
}

async function integrity(sources: EvidenceSources, scope: Scope, log: QueryLog): Promise<IntegritySection> {
  const command = log.cli(`auditflow verify ${scopeArgs(scope)} --json`);
  const report = await verifyStore(sources.store, sources.publicKey, scope);
  const problems = [
    ...report.badSignatures.map((key) => ({ kind: 'bad signature', key })),
    ...report.brokenChain.map((key) => ({ kind: 'broken chain', key })),
    ...report.missing.map((key) => ({ kind: 'missing', key })),
    ...report.altered.map((key) => ({ kind: 'altered', key })),
    ...report.extra.map((key) => ({ kind: 'in no digest', key })),
    ...report.badDeletions.map((key) => ({ kind: 'deletion record with a bad signature', key })),
    ...report.truncated.map((key) => ({ kind: 'truncated chain', key })),
  ];

  // Digest coverage: the hours with events, against the archived objects and the digests listing them.
  const hourly = hourlyBody(scope);
  const coverageQuery = log.es(hourly, '_search');
  const hours = (await aggregate(sources.es, sources.index, hourly)).hours as
    | { buckets: { key: number }[] }
    | undefined;
  const digested = new Set<string>();
  for (const { key } of await sources.store.list(DIGEST_PREFIX)) {
    if (key.startsWith(KEYS_PREFIX)) continue;
    const signed = await sources.store.getJson<{ digest?: { objects?: { key: string }[] } }>(key);
    for (const o of signed.digest?.objects ?? []) digested.add(o.key);
  }
  const segment = scope.tenant === undefined ? undefined : tenantSegment(scope.tenant);
  const objects = [];
  for (const { key } of await sources.store.list(segment === undefined ? 'tenant=' : `tenant=${segment}/`)) {
    const at = parseObjectKey(key);
    if (!at || !keyInRange(at, scope.from, scope.to)) continue;
    objects.push({ hour: at.hour, digested: digested.has(key) });
  }
  const coverage = digestCoverage({ eventHours: (hours?.buckets ?? []).map((b) => b.key), objects });
  return {
    ok: report.ok && coverage.hoursWithoutDigest.length === 0,
    digests: report.digests,
    objects: report.objects,
    events: report.events,
    problems,
    inFlight: report.inFlight,
    command,
    coverage: { ...coverage, query: coverageQuery },
  };
}

async function retention(sources: EvidenceSources, scope: Scope, log: QueryLog): Promise<RetentionSection> {
  const body = oldestPerClassBody(scope.tenant);
  const oldestQuery = log.es(body, '_search');
  const buckets =
    (
      (await aggregate(sources.es, sources.index, body)).classes as
        | { buckets: { key: string; doc_count: number; oldest: { value_as_string?: string } }[] }
        | undefined
    )?.buckets ?? [];
  const indexed = new Map(buckets.map((b) => [b.key, b]));
  const command = log.cli(`auditflow retention report ${scopeArgs(scope)}`);
  // The archive's side (objects, events, locks, holds, signed sweeps): @auditflow/archive's retention report.
  const archive = await retentionReport(sources.store, sources.policy, {
    from: new Date(scope.from),
    to: new Date(scope.to),
    ...(scope.tenant === undefined ? {} : { tenant: scope.tenant }),
    publicKey: sources.publicKey,
  });
  const archived = new Map(archive.classes.map((c) => [c.name, c]));
  const names = [...new Set([...Object.keys(sources.policy.classes), ...archived.keys()])];
  const classes = names.map((name) => {
    const policy = sources.policy.classes[name];
    const a = archived.get(name);
    return {
      name,
      days: policy?.days ?? a?.policy?.days ?? 0,
      transitions: policy?.transitions ?? [],
      indexed: indexed.get(name)?.doc_count ?? 0,
      oldestIndexed: indexed.get(name)?.oldest.value_as_string ?? null,
      archivedObjects: a?.objects ?? 0,
      archivedEvents: a?.events ?? 0,
      oldestArchived: a?.oldestEvent?.occurredAt ?? null,
      locked: (a?.locked.GOVERNANCE ?? 0) + (a?.locked.COMPLIANCE ?? 0),
      legalHoldObjects: a?.legalHoldObjects ?? 0,
      lifecycle: policy ? (a?.lifecycle.state ?? 'missing') : 'not in the policy',
    };
  });
  const lock = archive.objectLock.defaultRetention;
  return {
    defaultClass: sources.policy.default,
    classes,
    oldestQuery,
    objectLock: {
      enabled: archive.objectLock.enabled,
      ...(lock?.mode ? { mode: lock.mode } : {}),
      ...(lock?.days !== undefined
        ? { days: lock.days }
        : lock?.years !== undefined
          ? { days: lock.years * 365 }
          : {}),
    },
    holds: archive.legalHolds.map((h) => ({
      id: h.id,
      tenant: h.tenant,
      from: h.from,
      to: h.to,
      reason: h.reason,
    })),
    sweeps: archive.sweeps.map((w) => ({
      key: w.key,
      at: w.deletedAt,
      objects: w.objects,
      signature: w.signature,
    })),
    command,
  };
}

async function loss(
  sources: EvidenceSources,
  scope: Scope,
  listCap: number,
  log: QueryLog,
): Promise<LossSection> {
  const command = log.cli(`auditflow reconcile ${scopeArgs(scope)} --details --json`);
  let report: ReconcileReport;
  try {
    report = await reconcileFor(sources, scope);
  } catch (err) {
    // An unreadable object or topic must not stop the report: it is the finding.
    return {
      ok: false,
      counts: {},
      deadLetterReasons: {},
      gaps: [],
      gapsTotal: 0,
      inFlight: 0,
      command,
      error: (err as Error).message.slice(0, 500),
    };
  }
  return {
    ok: report.gaps.length === 0,
    counts: { ...report.counts },
    deadLetterReasons: report.deadLetterReasons,
    gaps: report.gaps
      .slice(0, listCap)
      .map((g) => ({ stage: g.stage, detail: g.detail, ...(g.id ? { id: g.id } : {}) })),
    gapsTotal: report.gaps.length,
    inFlight: report.inFlight.length,
    command,
  };
}

function reconcileFor(sources: EvidenceSources, scope: Scope): Promise<ReconcileReport> {
  return reconcile(
    { kafka: sources.kafka, codec: sources.codec, es: sources.es, store: sources.store },
    {
      from: scope.from,
      to: scope.to,
      ...(scope.tenant === undefined ? {} : { tenant: scope.tenant }),
      topics: sources.topics,
      indexPattern: sources.index,
      ...(sources.groups ? { groups: sources.groups } : {}),
      ...(sources.rollWindowMs === undefined ? {} : { rollWindowMs: sources.rollWindowMs }),
      ...(sources.lagAllowanceMs === undefined ? {} : { lagAllowanceMs: sources.lagAllowanceMs }),
      ...(sources.window ? { window: sources.window } : {}),
    },
  );
}

/** Reads the index, the archive and the topics for the period and builds the framework's report. */
export async function collectEvidence(
  sources: EvidenceSources,
  request: ReportRequest,
): Promise<EvidenceReport> {
  if (!(request.from <= request.to))
    throw new RangeError('the period must end after it starts (--from before --to)');
  const scope: Scope = {
    from: request.from,
    to: request.to,
    ...(request.tenant === undefined ? {} : { tenant: request.tenant }),
  };
  const log = new QueryLog(sources.index);
  const definition = FRAMEWORK_DEFINITIONS[request.framework];
  const activitySection = await activity(sources, scope, request.framework, log);
  const listCap = request.listCap ?? DEFAULT_LIST_CAP;
  const completenessSection = await completeness(sources, scope, activitySection.total, listCap, log);
  const integritySection = await integrity(sources, scope, log);
  const retentionSection = await retention(sources, scope, log);
  const lossSection = await loss(sources, scope, listCap, log);
  const findings: Omit<EvidenceReport, 'summary'> = {
    format: REPORT_FORMAT,
    id: request.id ?? randomUUID(),
    framework: request.framework,
    frameworkName: definition.name,
    generatedAt: new Date(request.now ?? Date.now()).toISOString(),
    period: { from: new Date(scope.from).toISOString(), to: new Date(scope.to).toISOString() },
    tenant: scope.tenant ?? null,
    index: sources.index,
    controls: definition.controls,
    activity: activitySection,
    completeness: completenessSection,
    integrity: integritySection,
    retention: retentionSection,
    loss: lossSection,
    queries: log.queries,
  };
  // Key order is the JSON's: the summary right after the controls it judges.
  const { activity: a, completeness: co, integrity: i, retention: r, loss: l, queries, ...head } = findings;
  return {
    ...head,
    summary: summarize(findings),
    activity: a,
    completeness: co,
    integrity: i,
    retention: r,
    loss: l,
    queries,
  };
}
