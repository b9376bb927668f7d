/**
 * The composable index template for `audit-events*` (I2). Mappings are `dynamic: false`: a
 * field the template does not know is kept in _source but never grows the mapping.
 */
const keyword = { type: 'keyword', ignore_above: 1024 };
const text = { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 1024 } } };

export const AUDIT_MAPPINGS = {
  dynamic: false,
  properties: {
    '@timestamp': { type: 'date' },
    event: {
      properties: {
        id: keyword,
        action: keyword,
        category: keyword,
        kind: keyword,
        outcome: keyword,
        created: { type: 'date' },
        ingested: { type: 'date' },
        severity: { type: 'long' },
        duration: { type: 'long' },
        dataset: keyword,
        module: keyword,
        hash: keyword,
      },
    },
    user: { properties: { id: keyword, name: keyword, email: keyword } },
    source: { properties: { ip: { type: 'ip' } } },
    user_agent: { properties: { original: keyword } },
    trace: { properties: { id: keyword } },
    span: { properties: { id: keyword } },
    service: {
      properties: {
        name: keyword,
        version: keyword,
        environment: keyword,
        node: { properties: { name: keyword } },
      },
    },
    organization: { properties: { id: keyword, name: keyword } },
    error: { properties: { type: keyword, code: keyword, message: text } },
    audit: {
      properties: {
        schema_version: { type: 'integer' },
        outcome: keyword,
        correlation_id: keyword,
        actor: { properties: { type: keyword, session_id: keyword, ip: keyword } },
        target: {
          properties: { type: keyword, id: keyword, name: keyword, attributes: { type: 'flattened' } },
        },
        authorization: { properties: { verified_at: { type: 'date' }, method: keyword, scopes: keyword } },
        changes: {
          properties: {
            field: keyword,
            before: { type: 'keyword', ignore_above: 8191 },
            after: { type: 'keyword', ignore_above: 8191 },
          },
        },
        details: { type: 'flattened', ignore_above: 8191 },
        sanitization: { type: 'flattened' },
        compliance: keyword,
        severity: keyword,
        known_action: { type: 'boolean' },
        retention_class: keyword,
        retention_days: { type: 'integer' },
        legal_hold: { type: 'boolean' },
        fingerprint: keyword,
        service_owner: keyword,
        producer: { properties: { id: keyword, sequence: { type: 'long' } } },
      },
    },
  },
} as const;

export interface IndexLayout {
  /** Data streams and ILM (full clusters), or daily indices behind an alias (reduced builds). */
  readonly mode: 'data_stream' | 'daily_indices';
  readonly prefix: string;
}

/** The index an event goes to. Daily by event time, so a re-delivery lands where the first copy is. */
export function indexFor(layout: IndexLayout, timestampMs: number): string {
  if (layout.mode === 'data_stream') return layout.prefix;
  // Times no date field can hold are indexed (and then rejected to the DLQ) under today,
  // rather than creating an index named after year 128724.
  const sane = timestampMs >= 0 && timestampMs < 253_402_300_800_000 ? timestampMs : Date.now();
  const day = new Date(sane).toISOString().slice(0, 10).replaceAll('-', '.');
  return `${layout.prefix}-${day}`;
}

export function templateBody(layout: IndexLayout, options: { replicas: number; ilmPolicy?: string }) {
  return {
    index_patterns: [`${layout.prefix}*`],
    // Elasticsearch refuses overlapping templates of equal priority: a longer (more specific)
    // prefix such as audit-events-staging wins over audit-events.
    priority: 200 + layout.prefix.length,
    ...(layout.mode === 'data_stream' ? { data_stream: {} } : {}),
    template: {
      settings: {
        number_of_replicas: options.replicas,
        'index.mapping.total_fields.limit': 2000,
        ...(layout.mode === 'data_stream' && options.ilmPolicy
          ? { 'index.lifecycle.name': options.ilmPolicy }
          : {}),
      },
      mappings: AUDIT_MAPPINGS,
      ...(layout.mode === 'daily_indices' ? { aliases: { [layout.prefix]: {} } } : {}),
    },
    _meta: { managed_by: 'auditflow-indexer' },
  };
}

/** ILM for full clusters: roll over daily or at 50 GB, delete after the search retention. */
export function ilmPolicyBody(retentionDays: number) {
  return {
    policy: {
      phases: {
        hot: { actions: { rollover: { max_age: '1d', max_primary_shard_size: '50gb' } } },
        delete: { min_age: `${retentionDays}d`, actions: { delete: {} } },
      },
    },
  };
}

/** Daily indices older than the retention, for our own sweeper where ILM is missing. */
export function expiredIndices(
  names: readonly string[],
  prefix: string,
  retentionDays: number,
  now: number,
): string[] {
  const cutoff = now - retentionDays * 86_400_000;
  return names.filter((name) => {
    const match = new RegExp(
      `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d{4})\\.(\\d{2})\\.(\\d{2})$`,
    ).exec(name);
    if (!match) return false;
    const day = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    return day + 86_400_000 <= cutoff;
  });
}
