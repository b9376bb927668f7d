import { ADMINISTRATOR } from './viewer.ts';

/** The query API's own service name: its audit records of reads name the staff client that read. */
export const QUERY_API_SERVICE = 'auditflow-query-api';
/** Comma-separated actor ids of the pipeline's staff (operators), masked for tenant viewers. */
export const OPERATOR_IDS_ENV = 'AUDITFLOW_OPERATOR_IDS';

/**
 * Who counts as an operator (the pipeline's own staff, issue 17): an `admin_action` actor, an
 * actor id listed in AUDITFLOW_OPERATOR_IDS, or a query-API client whose read of the log was
 * audited (a service actor of the query API's own records). Tenant viewers see them only as
 * "an administrator".
 */
export class OperatorPolicy {
  readonly ids: ReadonlySet<string>;
  constructor(ids: Iterable<string> = []) {
    this.ids = new Set(ids);
  }

  static fromEnv(env: NodeJS.ProcessEnv = process.env): OperatorPolicy {
    const raw = env[OPERATOR_IDS_ENV] ?? '';
    return new OperatorPolicy(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    );
  }

  private matches(type: unknown, id: unknown, service: unknown): boolean {
    if (type === 'admin_action') return true;
    if (typeof id === 'string' && this.ids.has(id)) return true;
    return type === 'service' && service === QUERY_API_SERVICE;
  }

  // biome-ignore lint/suspicious/noExplicitAny: index documents are schemaless JSON.
  isOperatorDocument(doc: any): boolean {
    return this.matches(doc?.audit?.actor?.type, doc?.user?.id, doc?.service?.name);
  }

  // biome-ignore lint/suspicious/noExplicitAny: events in the JSON form (SSE) are schemaless here.
  isOperatorEvent(event: any): boolean {
    return this.matches(event?.actor?.type, event?.actor?.id, event?.service?.name);
  }

  /** The same rule as an Elasticsearch query (for aggregations that must not name operators). */
  query(): object {
    return {
      bool: {
        should: [
          { term: { 'audit.actor.type': 'admin_action' } },
          ...(this.ids.size > 0 ? [{ terms: { 'user.id': [...this.ids] } }] : []),
          {
            bool: {
              filter: [
                { term: { 'audit.actor.type': 'service' } },
                { term: { 'service.name': QUERY_API_SERVICE } },
              ],
            },
          },
        ],
        minimum_should_match: 1,
      },
    };
  }

  /** An index document as a tenant viewer sees it: an operator's identifying fields replaced. */
  maskDocument<T>(doc: T): T {
    if (!this.isOperatorDocument(doc)) return doc;
    // biome-ignore lint/suspicious/noExplicitAny: see isOperatorDocument.
    const { user: _user, source: _source, user_agent: _agent, ...rest } = doc as any;
    const audit = { ...(rest.audit ?? {}) };
    audit.actor = { type: audit.actor?.type, masked: true };
    if (audit.ingest) audit.ingest = { via: audit.ingest.via };
    return { ...rest, user: { id: ADMINISTRATOR, name: ADMINISTRATOR }, audit } as T;
  }

  /** An event in the JSON form (the live stream) as a tenant viewer sees it. */
  maskEvent<T>(event: T): T {
    if (!this.isOperatorEvent(event)) return event;
    // biome-ignore lint/suspicious/noExplicitAny: see isOperatorEvent.
    const e = event as any;
    return {
      ...e,
      actor: { type: e.actor?.type, id: ADMINISTRATOR, name: ADMINISTRATOR },
      ...(e.ingest ? { ingest: { via: e.ingest.via, received_at: e.ingest.received_at } } : {}),
    } as T;
  }
}
