import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditProducer } from '@auditflow/producer';
import type { Client } from '@elastic/elasticsearch';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { auditedFilters, ReadAudit } from './audit.ts';
import { type ExportProgress, streamExport } from './export.ts';
import {
  buildQuery,
  decodeCursor,
  encodeCursor,
  type Filters,
  filtersSchema,
  QueryError,
  SORT,
} from './query.ts';
import { PageWalks } from './walks.ts';

export interface QueryClient {
  readonly id: string;
  readonly token: string;
  /** Tenants the token may read; `*` for all. */
  readonly tenants: readonly string[];
}

export interface QueryApiConfig {
  readonly host: string;
  readonly port: number;
  readonly index: string;
  readonly exportCap: number;
  readonly clients: readonly QueryClient[];
  /** Tenant under which exports are audited. */
  readonly selfTenant: string;
  /** Rows one client's walk over `/v1/events` pages may read before it is audited as an export (5,000). */
  readonly pagingAuditRows?: number;
  /** A pause longer than this ends a page walk (15 minutes). */
  readonly pagingIdleMs?: number;
}

/** The 499 of nginx: the client closed the connection before the answer was complete. */
const CLIENT_CLOSED = 499;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The query API (SPEC Q1–Q3, Q5) on port 8080: every answer is limited to the token's tenants. */
export function createQueryApi(options: {
  config: QueryApiConfig;
  es: Client;
  producer: AuditProducer;
  logger: Logger;
  registry: Registry;
}) {
  const { config, es, producer, logger } = options;
  const tokens = config.clients.map((c) => ({ client: c, hash: digest(c.token) }));
  const requests = new Counter({
    name: 'auditflow_query_requests_total',
    help: 'Query API requests by route and status',
    labelNames: ['route', 'status'],
    registers: [options.registry],
  });
  const exportsInProgress = new Gauge({
    name: 'auditflow_query_exports_in_progress',
    help: 'Exports streaming now (each holds an Elasticsearch point in time)',
    registers: [options.registry],
  });
  const exportsDone = new Counter({
    name: 'auditflow_query_exports_total',
    help: 'Exports by result: complete, truncated (cap reached), client_gone, failed',
    labelNames: ['result'],
    registers: [options.registry],
  });
  const audit = new ReadAudit(producer, { index: config.index, selfTenant: config.selfTenant });
  const walks = new PageWalks({
    thresholdRows: config.pagingAuditRows ?? 5000,
    idleMs: config.pagingIdleMs ?? 15 * 60_000,
  });

  const authenticate = (req: IncomingMessage): QueryClient => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match?.[1]) throw new QueryError(401, 'unauthorized', 'send Authorization: Bearer <token>');
    const given = digest(match[1]);
    const found = tokens.find((t) => timingSafeEqual(t.hash, given));
    if (!found) throw new QueryError(401, 'unauthorized', 'unknown token');
    return found.client;
  };

  const filtersOf = (url: URL): Filters => {
    const parsed = filtersSchema.safeParse(Object.fromEntries(url.searchParams));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const message =
        issue?.code === 'unrecognized_keys'
          ? `unknown parameter ${issue.keys.join(', ')}`
          : `${issue?.path.join('.')}: ${issue?.message}`;
      throw new QueryError(400, 'invalid_parameter', message);
    }
    return parsed.data;
  };

  const events = async (client: QueryClient, filters: Filters) => {
    const result = await es.search({
      index: config.index,
      query: buildQuery(filters, client.tenants),
      sort: SORT as never,
      size: filters.size,
      search_after: decodeCursor(filters.cursor) as never,
      track_total_hits: false,
    });
    const hits = result.hits.hits;
    // Pages are capped, walks are not: enough rows read page by page count as an export (Q2).
    const walk = walks.record(client.id, auditedFilters(filters), hits.length);
    if (walk)
      audit.emit({
        reader: client,
        action: 'audit.log.exported',
        outcome: 'success',
        tenant: filters.tenant_id,
        details: { via: 'paging', ...walk },
      });
    return {
      events: hits.map((h) => h._source),
      next_cursor: hits.length === filters.size ? encodeCursor(hits.at(-1)?.sort) : null,
    };
  };

  /**
   * An export, audited twice (Q2, issue 14): `audit.log.export_started` before the first row
   * (who, filters, format, cap; no record, no export), and `audit.log.exported` when it ends
   * however it ends, with the rows sent and whether the client went away. Returns the status
   * to count (499 when the client left).
   */
  const exportEvents = async (
    client: QueryClient,
    filters: Filters,
    res: ServerResponse,
  ): Promise<number> => {
    const format = filters.format ?? 'ndjson';
    const limit = Math.min(filters.limit ?? config.exportCap, config.exportCap);
    const query = buildQuery(filters, client.tenants);
    const exportId = randomUUID();
    const what = { export_id: exportId, format, cap: limit, filters: auditedFilters(filters) };
    audit.emit({
      reader: client,
      action: 'audit.log.export_started',
      outcome: 'success',
      tenant: filters.tenant_id,
      details: what,
      correlationId: exportId,
    });
    const progress: ExportProgress = { rows: 0, complete: false, truncated: false, clientGone: false };
    const started = performance.now();
    let failure: Error | undefined;
    exportsInProgress.inc();
    try {
      await streamExport({ es, index: config.index, logger }, { query, format, limit }, res, progress);
    } catch (err) {
      failure = err as Error;
      throw err;
    } finally {
      exportsInProgress.dec();
      const result = progress.clientGone
        ? 'client_gone'
        : failure
          ? 'failed'
          : progress.truncated
            ? 'truncated'
            : 'complete';
      exportsDone.inc({ result });
      audit.emit({
        reader: client,
        action: 'audit.log.exported',
        outcome: progress.complete ? 'success' : 'failure',
        tenant: filters.tenant_id,
        details: {
          ...what,
          rows: progress.rows,
          complete: progress.complete,
          truncated: progress.truncated,
          client_gone: progress.clientGone,
        },
        correlationId: exportId,
        durationMs: Math.round(performance.now() - started),
        ...(progress.clientGone
          ? {
              error: {
                class: 'network_error' as const,
                code: 'client_gone',
                message: 'the client closed the connection',
              },
            }
          : failure
            ? {
                error: {
                  class: 'internal' as const,
                  code: 'export_failed',
                  message: failure.message.slice(0, 500),
                },
              }
            : {}),
      });
    }
    return progress.clientGone ? CLIENT_CLOSED : 200;
  };

  const summary = async (client: QueryClient, filters: Filters) => {
    const result = await es.search({
      index: config.index,
      size: 0,
      query: buildQuery(filters, client.tenants),
      aggs: {
        over_time: {
          date_histogram: { field: '@timestamp', fixed_interval: filters.interval ?? '1h' },
          aggs: { outcome: { terms: { field: 'audit.outcome' } } },
        },
        actions: {
          terms: { field: 'event.action', size: 20 },
          aggs: { outcome: { terms: { field: 'audit.outcome' } } },
        },
        top_actors: { terms: { field: 'user.id', size: 10 } },
        outcomes: { terms: { field: 'audit.outcome' } },
      },
    });
    type Bucket = {
      key: string | number;
      key_as_string?: string;
      doc_count: number;
      outcome?: { buckets: Bucket[] };
    };
    const aggs = result.aggregations as Record<string, { buckets: Bucket[] }>;
    const counts = (b: Bucket[] | undefined) =>
      Object.fromEntries((b ?? []).map((x) => [x.key, x.doc_count]));
    const total = (aggs.outcomes?.buckets ?? []).reduce((n, b) => n + b.doc_count, 0);
    const failed = (aggs.outcomes?.buckets ?? [])
      .filter((b) => b.key !== 'success' && b.key !== 'unknown')
      .reduce((n, b) => n + b.doc_count, 0);
    return {
      total,
      failure_rate: total === 0 ? 0 : failed / total,
      by_outcome: counts(aggs.outcomes?.buckets),
      over_time: (aggs.over_time?.buckets ?? []).map((b) => ({
        time: b.key_as_string,
        total: b.doc_count,
        by_outcome: counts(b.outcome?.buckets),
      })),
      by_action: (aggs.actions?.buckets ?? []).map((b) => ({
        action: b.key,
        total: b.doc_count,
        by_outcome: counts(b.outcome?.buckets),
      })),
      top_actors: (aggs.top_actors?.buckets ?? []).map((b) => ({ actor: b.key, total: b.doc_count })),
    };
  };

  const trace = async (client: QueryClient, correlationId: string) => {
    const result = await es.search({
      index: config.index,
      query: buildQuery({ correlation_id: correlationId, size: 1000 }, client.tenants),
      sort: [{ '@timestamp': { order: 'asc' } }, { 'event.id': { order: 'asc' } }],
      size: 1000,
    });
    const events = result.hits.hits.map((h) => h._source as { service?: { name?: string } });
    return {
      correlation_id: correlationId,
      services: [...new Set(events.map((e) => e.service?.name))],
      events,
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://query');
    let route = 'other';
    let status = 200;
    try {
      if (req.method !== 'GET') throw new QueryError(405, 'method_not_allowed', 'only GET');
      if (url.pathname === '/healthz') {
        route = 'healthz';
        send(res, 200, { status: 'ok' });
      } else if (url.pathname === '/readyz') {
        route = 'readyz';
        // Not es.ping(): reduced Elasticsearch builds have no `HEAD /` handler.
        const ok = await es.cluster.health({ timeout: '2s' }).then(
          (h) => h.status !== 'red',
          () => false,
        );
        status = ok ? 200 : 503;
        send(res, status, { ready: ok });
      } else if (url.pathname === '/metrics') {
        route = 'metrics';
        res
          .writeHead(200, { 'content-type': options.registry.contentType })
          .end(await options.registry.metrics());
      } else if (url.pathname === '/v1/events') {
        route = 'events';
        send(res, 200, await events(authenticate(req), filtersOf(url)));
      } else if (url.pathname === '/v1/export') {
        route = 'export';
        status = await exportEvents(authenticate(req), filtersOf(url), res);
      } else if (url.pathname === '/v1/summary') {
        route = 'summary';
        send(res, 200, await summary(authenticate(req), filtersOf(url)));
      } else if (url.pathname.startsWith('/v1/trace/')) {
        route = 'trace';
        send(
          res,
          200,
          await trace(authenticate(req), decodeURIComponent(url.pathname.slice('/v1/trace/'.length))),
        );
      } else {
        throw new QueryError(404, 'not_found', 'no such endpoint');
      }
    } catch (err) {
      if (err instanceof QueryError) {
        status = err.status;
        if (!res.headersSent) send(res, err.status, { error: err.code, message: err.message });
        else res.destroy();
      } else {
        status = 500;
        logger.error({ err: (err as Error).message, route }, 'query failed');
        if (!res.headersSent) send(res, 500, { error: 'internal' });
        else res.destroy();
      }
    }
    requests.inc({ route, status: String(status) });
  };

  const server: Server = createServer((req, res) => void handle(req, res));
  return {
    server,
    listen: () =>
      new Promise<AddressInfo>((resolve) =>
        server.listen(config.port, config.host, () => resolve(server.address() as AddressInfo)),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
