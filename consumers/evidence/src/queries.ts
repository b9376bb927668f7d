import type { ActionCatalog } from '@auditflow/schemas';

/**
 * The Elasticsearch queries behind the report's numbers, pure: each figure is a filter over the
 * period's events, so the body printed in the report is the body that was run, and an auditor
 * can run it again (`POST <index>/_count`). Field names are the index template's (ECS, plus
 * `audit.*`; consumers/indexer/src/template.ts).
 */

export const FIELDS = {
  time: '@timestamp',
  tenant: 'organization.id',
  action: 'event.action',
  category: 'event.category',
  outcome: 'audit.outcome',
  compliance: 'audit.compliance',
  retentionClass: 'audit.retention_class',
  changes: 'audit.changes.field',
} as const;

export type EsQuery = Record<string, unknown>;

export interface Scope {
  readonly from: number;
  readonly to: number;
  readonly tenant?: string;
}

/** The period (inclusive both ends, as `verify` and `reconcile` take it) and the tenant. */
export function scopeFilters(scope: Scope): EsQuery[] {
  return [
    {
      range: {
        [FIELDS.time]: {
          gte: new Date(scope.from).toISOString(),
          lte: new Date(scope.to).toISOString(),
          format: 'strict_date_optional_time',
        },
      },
    },
    ...(scope.tenant === undefined ? [] : [{ term: { [FIELDS.tenant]: scope.tenant } }]),
  ];
}

/** The period's events that match `filter` too (all of them without one). */
export function scoped(scope: Scope, filter?: EsQuery): EsQuery {
  return { bool: { filter: [...scopeFilters(scope), ...(filter ? [filter] : [])] } };
}

const PRIVILEGED_SEVERITIES = new Set(['high', 'critical']);

/** The catalog's actions of severity high or critical: what the catalog calls privileged. */
export function privilegedActions(catalog: ActionCatalog): string[] {
  return Object.entries(catalog.actions)
    .filter(([, entry]) => PRIVILEGED_SEVERITIES.has(entry.severity))
    .map(([action]) => action)
    .sort();
}

/** The catalog's configuration actions: those named `<domain>.config.<verb>`. */
export function configurationActions(catalog: ActionCatalog): string[] {
  return Object.keys(catalog.actions)
    .filter((action) => action.split('.').includes('config'))
    .sort();
}

/** Actions the catalog tags with a compliance tag (e.g. `GDPR:Art30`). */
export function actionsTagged(catalog: ActionCatalog, tag: string): string[] {
  return Object.entries(catalog.actions)
    .filter(([, entry]) => entry.compliance.includes(tag))
    .map(([action]) => action)
    .sort();
}

/** Reads and exports of the log are audited by the query API (and reports by this package) as `audit.log.*`. */
export const LOG_READ_PREFIX = 'audit.log.';
/** The action a generated report is audited under. */
export const REPORT_ACTION = 'audit.report.generated';

export interface FigureDefinition {
  readonly id: string;
  readonly label: string;
  readonly definition: string;
  readonly filter?: EsQuery;
  /** A terms breakdown of the figure (field), shown beside it. */
  readonly breakdownBy?: string;
}

/** The activity figures every framework draws on (frameworks.ts names them by id). */
export function figureDefinitions(catalog: ActionCatalog): FigureDefinition[] {
  const privileged = privilegedActions(catalog);
  const configuration = configurationActions(catalog);
  const personal = actionsTagged(catalog, 'GDPR:Art30');
  return [
    {
      id: 'events',
      label: 'Events logged',
      definition: 'every event in the period',
      breakdownBy: FIELDS.category,
    },
    {
      id: 'privileged',
      label: 'Privileged actions',
      definition: `actions the catalog rates high or critical (${privileged.join(', ')})`,
      filter: { terms: { [FIELDS.action]: privileged } },
      breakdownBy: FIELDS.action,
    },
    {
      id: 'denials',
      label: 'Denied requests',
      definition: 'events with outcome denied',
      filter: { term: { [FIELDS.outcome]: 'denied' } },
      breakdownBy: FIELDS.action,
    },
    {
      id: 'failed_authentications',
      label: 'Failed authentications',
      definition: 'events of category authentication with outcome failure or denied',
      filter: {
        bool: {
          filter: [
            { term: { [FIELDS.category]: 'authentication' } },
            { terms: { [FIELDS.outcome]: ['failure', 'denied'] } },
          ],
        },
      },
      breakdownBy: FIELDS.action,
    },
    {
      id: 'configuration_changes',
      label: 'Configuration changes',
      definition: `the catalog's configuration actions (${configuration.join(', ')}) and any event recording field changes`,
      filter: {
        bool: {
          should: [{ terms: { [FIELDS.action]: configuration } }, { exists: { field: FIELDS.changes } }],
          minimum_should_match: 1,
        },
      },
      breakdownBy: FIELDS.action,
    },
    {
      id: 'log_reads',
      label: 'Reads and exports of the log',
      definition: `the query API's audit records of searches, views and exports (${LOG_READ_PREFIX}*) and generated reports (${REPORT_ACTION})`,
      filter: {
        bool: {
          should: [
            { prefix: { [FIELDS.action]: LOG_READ_PREFIX } },
            { term: { [FIELDS.action]: REPORT_ACTION } },
          ],
          minimum_should_match: 1,
        },
      },
      breakdownBy: FIELDS.action,
    },
    {
      id: 'personal_data_access',
      label: 'Access to personal data',
      definition: `actions the catalog tags GDPR:Art30 (${personal.join(', ')})`,
      filter: { terms: { [FIELDS.action]: personal } },
      breakdownBy: FIELDS.action,
    },
  ];
}

/**
 * AU-3's six questions and the fields that answer them. A field is missing when the document
 * lacks it; an outcome of `unknown` (the schema's default when a producer sends none) answers
 * nothing and counts as missing.
 */
export const AU3_FIELDS = [
  {
    field: 'who',
    definition: 'the actor: user.id',
    missing: { bool: { must_not: [{ exists: { field: 'user.id' } }] } },
  },
  {
    field: 'what',
    definition: 'the action: event.action',
    missing: { bool: { must_not: [{ exists: { field: FIELDS.action } }] } },
  },
  {
    field: 'when',
    definition: 'the time it happened: @timestamp',
    missing: { bool: { must_not: [{ exists: { field: FIELDS.time } }] } },
  },
  {
    field: 'where',
    definition: 'the system it happened in: service.name',
    missing: { bool: { must_not: [{ exists: { field: 'service.name' } }] } },
  },
  {
    field: 'source',
    definition:
      "where it came from: the actor's address (audit.actor.ip) or the emitting instance (service.node.name)",
    missing: {
      bool: {
        must_not: [{ exists: { field: 'audit.actor.ip' } }, { exists: { field: 'service.node.name' } }],
      },
    },
  },
  {
    field: 'outcome',
    definition: 'success, failure or denied: audit.outcome (unknown counts as missing)',
    missing: {
      bool: {
        should: [
          { bool: { must_not: [{ exists: { field: FIELDS.outcome } }] } },
          { term: { [FIELDS.outcome]: 'unknown' } },
        ],
        minimum_should_match: 1,
      },
    },
  },
] as const;

export type Au3Field = (typeof AU3_FIELDS)[number]['field'];

/** Events lacking any AU-3 field. */
export const incompleteFilter = (): EsQuery => ({
  bool: { should: AU3_FIELDS.map((f) => f.missing), minimum_should_match: 1 },
});

/** The document fields the incomplete-event list reads (what `missingFields` needs). */
export const AU3_SOURCE = [
  'event.id',
  '@timestamp',
  'event.action',
  'user.id',
  'service.name',
  'service.node.name',
  'audit.actor.ip',
  'audit.outcome',
];

const present = (value: unknown): boolean => value !== undefined && value !== null;

// biome-ignore lint/suspicious/noExplicitAny: index documents are schemaless JSON.
type Doc = Record<string, any>;

/** The AU-3 fields a document lacks, by the same rules as AU3_FIELDS' queries. */
export function missingFields(doc: Doc): Au3Field[] {
  const missing: Au3Field[] = [];
  if (!present(doc.user?.id)) missing.push('who');
  if (!present(doc.event?.action)) missing.push('what');
  if (!present(doc['@timestamp'])) missing.push('when');
  if (!present(doc.service?.name)) missing.push('where');
  if (!present(doc.audit?.actor?.ip) && !present(doc.service?.node?.name)) missing.push('source');
  if (!present(doc.audit?.outcome) || doc.audit.outcome === 'unknown') missing.push('outcome');
  return missing;
}

/** Hourly buckets for periods of two days or less, daily ones beyond. */
export const intervalFor = (scope: Scope): '1h' | '1d' =>
  scope.to - scope.from <= 2 * 86_400_000 ? '1h' : '1d';

export function overTimeBody(scope: Scope): EsQuery {
  return {
    size: 0,
    query: scoped(scope),
    aggs: {
      over_time: {
        date_histogram: { field: FIELDS.time, fixed_interval: intervalFor(scope), min_doc_count: 1 },
        aggs: { outcome: { terms: { field: FIELDS.outcome, size: 10 } } },
      },
    },
  };
}

export function breakdownBody(scope: Scope, field: string, filter?: EsQuery): EsQuery {
  return { size: 0, query: scoped(scope, filter), aggs: { by: { terms: { field, size: 50 } } } };
}

/** Events per hour of the period (for digest coverage). */
export function hourlyBody(scope: Scope): EsQuery {
  return {
    size: 0,
    query: scoped(scope),
    aggs: { hours: { date_histogram: { field: FIELDS.time, fixed_interval: '1h', min_doc_count: 1 } } },
  };
}

/** Per retention class: events held in the index and the oldest (all time, the tenant's). */
export function oldestPerClassBody(tenant: string | undefined): EsQuery {
  return {
    size: 0,
    query: tenant === undefined ? { match_all: {} } : { term: { [FIELDS.tenant]: tenant } },
    aggs: {
      classes: {
        terms: { field: FIELDS.retentionClass, size: 50 },
        aggs: { oldest: { min: { field: FIELDS.time } } },
      },
    },
  };
}
