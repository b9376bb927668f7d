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
        /** Keyed fingerprints of the redacted secrets (SECRET_FINGERPRINTS_FIELD in @auditflow/schemas). */
        redaction: { properties: { fingerprints: keyword } },
        compliance: keyword,
        severity: keyword,
        known_action: { type: 'boolean' },
        retention_class: keyword,
        retention_days: { type: 'integer' },
        legal_hold: { type: 'boolean' },
        fingerprint: keyword,
        service_owner: keyword,
        producer: { properties: { id: keyword, sequence: { type: 'long' } } },
        /** Origin stamped by the pipeline (issue 14); the receipt time is `event.ingested`. */
        ingest: { properties: { via: keyword, client_id: keyword } },
        /** `receipt` when `occurred_at` lay outside the window and the receipt time filed the event. */
        time_basis: keyword,
      },
    },
  },
} as const;

export interface IndexLayout {
  /** Data streams and ILM (full clusters), or daily indices behind an alias (reduced builds). */
  readonly mode: 'data_stream' | 'daily_indices';
  readonly prefix: string;
}

/**
 * Why a name is not a valid Elasticsearch index name, or undefined when it is: lower case, at
 * most 255 bytes, none of `\ / * ? " < > | , #`, space or `:`, not starting with `- _ +`, not
 * `.` or `..`. Every name the indexer writes to passes this first.
 */
export function indexNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (Buffer.byteLength(name, 'utf8') > 255) return 'is longer than 255 bytes';
  if (name !== name.toLowerCase()) return 'has upper-case letters';
  if (/[\\/*?"<>|,# :]/.test(name)) return 'contains one of \\ / * ? " < > | , # : or a space';
  if (/^[-_+]/.test(name)) return 'starts with -, _ or +';
  if (name === '.' || name === '..') return 'is . or ..';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains control characters';
  return undefined;
}

/** Longest prefix that leaves room for `-YYYY.MM.DD` and the backing-index names ES derives. */
const MAX_PREFIX_BYTES = 200;

/** Refuses a prefix no index name can be built from (names the rule it breaks). */
export function checkIndexPrefix(prefix: string): string {
  const problem =
    indexNameProblem(prefix) ??
    (Buffer.byteLength(prefix, 'utf8') > MAX_PREFIX_BYTES
      ? `is longer than ${MAX_PREFIX_BYTES} bytes`
      : undefined);
  if (problem) throw new Error(`index prefix ${JSON.stringify(prefix.slice(0, 80))} ${problem}`);
  return prefix;
}

/** Latest instant a date field (and a daily index name) can hold. */
const MAX_DATE_MS = 253_402_300_799_999;

/**
 * The index an event goes to: daily by its routing time (see `routingTime` in the runtime: the
 * event time inside the window around receipt, the receipt time otherwise), so a re-delivery
 * lands where the first copy is. The name is built from the validated prefix and digits only.
 */
export function indexFor(layout: IndexLayout, timestampMs: number): string {
  if (layout.mode === 'data_stream') return layout.prefix;
  // Defence in depth: a time no date field can hold never names an index.
  const sane = timestampMs >= 0 && timestampMs <= MAX_DATE_MS ? timestampMs : Date.now();
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
