import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditProducer } from '@auditflow/producer';
import type { Client } from '@elastic/elasticsearch';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { auditedFilters, ReadAudit, type Reader } from './audit.ts';
import { ERASURES_PATH } from './erasure.ts';
import { erasureRoute } from './erasure-route.ts';
import { type ExportProgress, streamExport } from './export.ts';
import { type LiveFilters, type LiveSource, liveFiltersSchema, relayLive } from './live.ts';
import { OperatorPolicy } from './masking.ts';
import {
  buildQuery,
  decodeCursor,
  encodeCursor,
  type Filters,
  filtersSchema,
  invalidParameter,
  QueryError,
  SORT,
  tenantScope,
} from './query.ts';
import { REPORTS_PATH, type ReportSources, reportRoute } from './report-route.ts';
import {
  countAggs,
  lifecycleAggs,
  lifecycleQuery,
  type SessionSummary,
  summarizeSessions,
} from './sessions.ts';
import type { Unavailable } from './settings.ts';
import { CONSOLE_PATH, DEFAULT_CONSOLE_DIR, loadConsole } from './static.ts';
import { ADMINISTRATOR, looksLikeViewerToken, type ViewerScope, ViewerTokens } from './viewer.ts';
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
  /** Signs viewer tokens (viewerKeyFromEnv); without it viewer tokens are refused. */
  readonly viewerKey?: Uint8Array;
  /** Who the pipeline's operators are (masked as "an administrator" for tenant viewers). */
  readonly operators?: OperatorPolicy;
  /** The console's built files; DEFAULT_CONSOLE_DIR when unset. */
  readonly consoleDir?: string;
  /** The streamer the console's Live page reads; without it `/v1/live` answers 503. */
  readonly live?: LiveSource;
  /** The sanitizer's pseudonym key; without it `POST /v1/erasures` answers 503. */
  readonly pseudonymKey?: Buffer;
  /** What `GET /v1/reports` reads, or why reports are off (503 naming the setting); off when unset. */
  readonly reportSources?: ReportSources | Unavailable;
  /** The browser printing PDF reports, or why PDF is off; `chromium` on the PATH when unset. */
  readonly chromium?: string | Unavailable;
}

/** A caller: a query client, or someone holding a viewer token (one tenant, maybe one actor). */
export interface Principal extends Reader {
  readonly tenants: readonly string[];
  readonly viewer?: ViewerScope;
}

/** The largest viewer-token request body. */
const MAX_BODY_BYTES = 4096;

/** The 499 of nginx: the client closed the connection before the answer was complete. */
const CLIENT_CLOSED = 499;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A request body up to MAX_BODY_BYTES as text; 413 beyond. */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new QueryError(413, 'body_too_large', `at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
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

  const viewerTokens = config.viewerKey ? new ViewerTokens(config.viewerKey) : undefined;
  const operators = config.operators ?? new OperatorPolicy();
  const consoleFile = loadConsole(config.consoleDir ?? DEFAULT_CONSOLE_DIR);
  const shuttingDown = new AbortController();
  const erasures = erasureRoute({
    es,
    producer,
    logger,
    readBody,
    index: config.index,
    pseudonymKey: config.pseudonymKey,
  });

  const reports = reportRoute({
    producer,
    logger,
    selfTenant: config.selfTenant,
    ...(config.reportSources ? { sources: config.reportSources } : {}),
    ...(config.chromium ? { chromium: config.chromium } : {}),
  });

  const authenticate = async (req: IncomingMessage): Promise<Principal> => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match?.[1]) throw new QueryError(401, 'unauthorized', 'send Authorization: Bearer <token>');
    if (looksLikeViewerToken(match[1])) {
      if (!viewerTokens) throw new QueryError(401, 'unauthorized', 'viewer tokens are not enabled here');
      const viewer = await viewerTokens.verify(match[1]);
      return { id: `viewer:${viewer.subject}`, tenants: [viewer.tenant], viewer };
    }
    const given = digest(match[1]);
    const found = tokens.find((t) => timingSafeEqual(t.hash, given));
    if (!found) throw new QueryError(401, 'unauthorized', 'unknown token');
    return { id: found.client.id, tenants: found.client.tenants };
  };

  /** A viewer token's actor scope: the filter is forced to it; asking for another is refused. */
  const scoped = (who: Principal, filters: Filters): Filters => {
    const actor = who.viewer?.actor;
    if (!actor) return filters;
    if (filters.actor && filters.actor !== actor)
      throw new QueryError(403, 'actor_forbidden', `this viewer token may only read actor ${actor}`);
    return { ...filters, actor };
  };

  /**
   * The query for a caller: its tenants (buildQuery), and for a tenant viewer searching by actor
   * no operator's events, so an operator's id cannot be confirmed by searching for it.
   */
  const queryFor = (who: Principal, filters: Filters): object => {
    const query = buildQuery(filters, who.tenants);
    if (!who.viewer || !filters.actor || filters.actor === who.viewer.actor) return query;
    return { bool: { filter: [query], must_not: [operators.query()] } };
  };

  // biome-ignore lint/suspicious/noExplicitAny: index documents are schemaless JSON.
  const maskFor = (who: Principal) => (doc: any) => (who.viewer ? operators.maskDocument(doc) : doc);

  /** A read under a viewer token is audited as the viewer's (issue 17): what was looked at. */
  const viewed = (who: Principal, view: string, details: Record<string, unknown>): void => {
    if (!who.viewer) return;
    audit.emit({
      reader: who,
      action: 'audit.log.viewed',
      outcome: 'success',
      tenant: who.viewer.tenant,
      details: { view, ...details },
    });
  };

  const filtersOf = (url: URL): Filters => {
    const parsed = filtersSchema.safeParse(Object.fromEntries(url.searchParams));
    if (!parsed.success) throw invalidParameter(parsed.error);
    return parsed.data;
  };

  const events = async (client: Principal, requested: Filters, page: string | undefined) => {
    const filters = scoped(client, requested);
    const result = await es.search({
      index: config.index,
      query: queryFor(client, filters),
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
    viewed(client, 'search', { page, filters: auditedFilters(filters), rows: hits.length });
    return {
      events: hits.map((h) => maskFor(client)(h._source)),
      next_cursor: hits.length === filters.size ? encodeCursor(hits.at(-1)?.sort) : null,
    };
  };

  /** One event by id, within the caller's scope: another tenant's event is simply not found. */
  const oneEvent = async (client: Principal, id: string, page: string | undefined) => {
    const filters = scoped(client, { size: 1 });
    const result = await es.search({
      index: config.index,
      query: { bool: { filter: [queryFor(client, filters), { term: { 'event.id': id } }] } },
      size: 1,
    });
    const hit = result.hits.hits[0];
    if (!hit) throw new QueryError(404, 'not_found', `no event ${id} within this token's scope`);
    viewed(client, 'event', { page, event_id: id });
    return { event: maskFor(client)(hit._source) };
  };

  /**
   * An export, audited twice (Q2, issue 14): `audit.log.export_started` before the first row
   * (who, filters, format, cap; no record, no export), and `audit.log.exported` when it ends
   * however it ends, with the rows sent and whether the client went away. Returns the status
   * to count (499 when the client left).
   */
  const exportEvents = async (
    client: Principal,
    requested: Filters,
    res: ServerResponse,
  ): Promise<number> => {
    const filters = scoped(client, requested);
    const format = filters.format ?? 'ndjson';
    const limit = Math.min(filters.limit ?? config.exportCap, config.exportCap);
    const query = queryFor(client, filters);
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
      await streamExport(
        { es, index: config.index, logger },
        { query, format, limit, ...(client.viewer ? { map: maskFor(client) } : {}) },
        res,
        progress,
      );
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

  const summary = async (client: Principal, requested: Filters, page: string | undefined) => {
    const filters = scoped(client, requested);
    // Tenant viewers see operators as one "an administrator" entry among the top actors.
    const actorsAgg = client.viewer
      ? {
          filter: { bool: { must_not: [operators.query()] } },
          aggs: { top: { terms: { field: 'user.id', size: 10 } } },
        }
      : { terms: { field: 'user.id', size: 10 } };
    const result = await es.search({
      index: config.index,
      size: 0,
      query: queryFor(client, filters),
      aggs: {
        over_time: {
          date_histogram: { field: '@timestamp', fixed_interval: filters.interval ?? '1h' },
          aggs: { outcome: { terms: { field: 'audit.outcome' } } },
        },
        actions: {
          terms: { field: 'event.action', size: 20 },
          aggs: { outcome: { terms: { field: 'audit.outcome' } } },
        },
        top_actors: actorsAgg,
        ...(client.viewer ? { operators: { filter: operators.query() } } : {}),
        outcomes: { terms: { field: 'audit.outcome' } },
        reads: {
          filter: { prefix: { 'event.action': 'audit.log.' } },
          aggs: { actions: { terms: { field: 'event.action', size: 10 } } },
        },
      },
    });
    type Bucket = {
      key: string | number;
      key_as_string?: string;
      doc_count: number;
      outcome?: { buckets: Bucket[] };
    };
    const aggs = result.aggregations as Record<
      string,
      { buckets: Bucket[]; doc_count?: number; top?: { buckets: Bucket[] }; actions?: { buckets: Bucket[] } }
    >;
    const administrators = aggs.operators?.doc_count ?? 0;
    const topActors = (aggs.top_actors?.top?.buckets ?? aggs.top_actors?.buckets ?? []).map((b) => ({
      actor: b.key,
      total: b.doc_count,
    }));
    if (administrators > 0) topActors.push({ actor: ADMINISTRATOR, total: administrators });
    topActors.sort((a, b) => b.total - a.total);
    viewed(client, 'overview', { page, filters: auditedFilters(filters) });
    const counts = (b: Bucket[] | undefined) =>
      Object.fromEntries((b ?? []).map((x) => [x.key, x.doc_count]));
    const total = (aggs.outcomes?.buckets ?? []).reduce((n, b) => n + b.doc_count, 0);
    const failed = (aggs.outcomes?.buckets ?? [])
      .filter((b) => b.key !== 'success' && b.key !== 'unknown')
      .reduce((n, b) => n + b.doc_count, 0);
    const denied = (aggs.outcomes?.buckets ?? []).find((b) => b.key === 'denied')?.doc_count ?? 0;
    return {
      total,
      failure_rate: total === 0 ? 0 : failed / total,
      denial_rate: total === 0 ? 0 : denied / total,
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
      top_actors: topActors.slice(0, 10),
      /** Exports and other reads of the log (the query API's own audit records). */
      reads: counts(aggs.reads?.actions?.buckets),
    };
  };

  const trace = async (client: Principal, correlationId: string, page: string | undefined) => {
    const filters = scoped(client, { correlation_id: correlationId, size: 1000 });
    const result = await es.search({
      index: config.index,
      query: queryFor(client, filters),
      sort: [{ '@timestamp': { order: 'asc' } }, { 'event.id': { order: 'asc' } }],
      size: 1000,
    });
    const events = result.hits.hits.map((h) => maskFor(client)(h._source) as { service?: { name?: string } });
    viewed(client, 'trace', { page, correlation_id: correlationId, rows: events.length });
    return {
      correlation_id: correlationId,
      services: [...new Set(events.map((e) => e.service?.name))],
      events,
    };
  };

  /** Sessions with lifecycle events in the time range, newest activity first. */
  const sessions = async (
    client: Principal,
    requested: Filters,
    page: string | undefined,
  ): Promise<{ sessions: SessionSummary[] }> => {
    const filters = scoped(client, requested);
    const lifecycle = await es.search({
      index: config.index,
      size: 0,
      query: { bool: { filter: [queryFor(client, filters), lifecycleQuery()] } },
      aggs: lifecycleAggs() as never,
    });
    const buckets = (lifecycle.aggregations?.sessions as { buckets: never[] } | undefined)?.buckets ?? [];
    const ids = buckets.map((b: { key: string }) => b.key);
    const counted =
      ids.length === 0
        ? []
        : ((
            (
              await es.search({
                index: config.index,
                size: 0,
                // Counted within the same scope: an actor-scoped viewer counts only its actor's events.
                query: queryFor(client, scoped(client, { size: 1 })),
                aggs: countAggs(ids) as never,
              })
            ).aggregations?.sessions as { buckets: never[] } | undefined
          )?.buckets ?? []);
    viewed(client, 'sessions', { page, filters: auditedFilters(filters), rows: ids.length });
    return { sessions: summarizeSessions(buckets, counted, maskFor(client)) };
  };

  const live = async (client: Principal, url: URL, req: IncomingMessage, res: ServerResponse) => {
    const parsed = liveFiltersSchema.safeParse(Object.fromEntries(url.searchParams));
    if (!parsed.success) throw invalidParameter(parsed.error);
    if (!config.live) throw new QueryError(503, 'live_unavailable', 'no streamer configured for live events');
    const filters: LiveFilters = { ...parsed.data };
    // The same scope as the searches: the token's tenants, a viewer's actor.
    const tenants = client.tenants.includes('*') ? undefined : client.tenants;
    if (tenants) {
      if (filters.tenant_id?.split(',').some((t) => !tenants.includes(t.trim())))
        throw new QueryError(403, 'tenant_forbidden', `this token may not read tenant ${filters.tenant_id}`);
      filters.tenant_id ??= tenants.join(',');
    }
    const actor = client.viewer?.actor;
    if (actor) {
      if (filters.actor && filters.actor !== actor)
        throw new QueryError(403, 'actor_forbidden', `this viewer token may only read actor ${actor}`);
      filters.actor = actor;
    }
    viewed(client, 'live', { filters: { ...filters, since: undefined } });
    await relayLive(
      config.live,
      filters,
      req,
      res,
      (event) => (client.viewer ? operators.maskEvent(event) : event),
      shuttingDown.signal,
    );
  };

  /** `POST /v1/viewer-tokens`: a query client mints a token for a tenant it may read itself. */
  const issueViewerToken = async (client: Principal, req: IncomingMessage) => {
    if (client.viewer) throw new QueryError(403, 'forbidden', 'a viewer token cannot mint viewer tokens');
    if (!viewerTokens) throw new QueryError(503, 'viewer_tokens_disabled', 'set AUDITFLOW_VIEWER_KEY');
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      if (err instanceof QueryError) throw err;
      throw new QueryError(400, 'invalid_body', 'a JSON object {tenant, actor?, viewer?, ttl?}');
    }
    const tenant = (body as { tenant?: unknown } | null)?.tenant;
    if (typeof tenant === 'string') tenantScope(client.tenants, tenant);
    const { token, scope } = await viewerTokens.issue(body as never, client.id);
    audit.emit({
      reader: client,
      action: 'audit.viewer_token.issued',
      outcome: 'success',
      tenant: scope.tenant,
      details: {
        token_id: scope.tokenId,
        subject: scope.subject,
        ...(scope.actor ? { actor: scope.actor } : {}),
        expires_at: scope.expiresAt,
      },
    });
    return {
      token,
      tenant: scope.tenant,
      actor: scope.actor ?? null,
      viewer: scope.subject,
      expires_at: scope.expiresAt,
      console_path: `${CONSOLE_PATH}#token=${token}`,
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://query');
    let route = 'other';
    let status = 200;
    // Which console page a read was for (audited with viewer reads); informational only.
    const page =
      typeof req.headers['x-auditflow-page'] === 'string'
        ? req.headers['x-auditflow-page'].slice(0, 200)
        : undefined;
    try {
      if (req.method === 'POST' && url.pathname === '/v1/viewer-tokens') {
        route = 'viewer_tokens';
        send(res, 201, await issueViewerToken(await authenticate(req), req));
        status = 201;
        return;
      }
      if (req.method === 'POST' && url.pathname === ERASURES_PATH) {
        route = 'erasures';
        status = await erasures(await authenticate(req), req, res);
        return;
      }
      const consoleRoute = url.pathname === CONSOLE_PATH || url.pathname.startsWith(`${CONSOLE_PATH}/`);
      // HEAD only for the console's files: a HEAD of an export would run (and audit) the export.
      if (req.method !== 'GET' && !(req.method === 'HEAD' && consoleRoute))
        throw new QueryError(405, 'method_not_allowed', 'only GET');
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
      } else if (consoleRoute) {
        route = 'console';
        const file = consoleFile?.(
          url.pathname === CONSOLE_PATH ? `${CONSOLE_PATH}/index.html` : url.pathname,
        );
        if (!consoleFile)
          throw new QueryError(503, 'console_not_built', 'the console is not built: run pnpm build');
        if (!file) throw new QueryError(404, 'not_found', 'no such console file');
        res.writeHead(200, { ...file.headers, 'content-length': file.body.length });
        res.end(req.method === 'HEAD' ? undefined : file.body);
      } else if (url.pathname === '/v1/whoami') {
        route = 'whoami';
        const who = await authenticate(req);
        send(res, 200, {
          id: who.viewer ? who.viewer.subject : who.id,
          kind: who.viewer ? 'viewer' : 'client',
          tenants: who.tenants,
          actor: who.viewer?.actor ?? null,
          expires_at: who.viewer?.expiresAt ?? null,
          live: config.live !== undefined,
        });
      } else if (url.pathname === '/v1/events') {
        route = 'events';
        send(res, 200, await events(await authenticate(req), filtersOf(url), page));
      } else if (url.pathname.startsWith('/v1/events/')) {
        route = 'event';
        const id = decodeURIComponent(url.pathname.slice('/v1/events/'.length));
        send(res, 200, await oneEvent(await authenticate(req), id, page));
      } else if (url.pathname === '/v1/export') {
        route = 'export';
        status = await exportEvents(await authenticate(req), filtersOf(url), res);
      } else if (url.pathname === REPORTS_PATH) {
        route = 'reports';
        status = await reports(await authenticate(req), url, res);
      } else if (url.pathname === '/v1/summary') {
        route = 'summary';
        send(res, 200, await summary(await authenticate(req), filtersOf(url), page));
      } else if (url.pathname === '/v1/sessions') {
        route = 'sessions';
        send(res, 200, await sessions(await authenticate(req), filtersOf(url), page));
      } else if (url.pathname === '/v1/live') {
        route = 'live';
        await live(await authenticate(req), url, req, res);
      } else if (url.pathname.startsWith('/v1/trace/')) {
        route = 'trace';
        const id = decodeURIComponent(url.pathname.slice('/v1/trace/'.length));
        send(res, 200, await trace(await authenticate(req), id, page));
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
    } finally {
      requests.inc({ route, status: String(status) });
    }
  };

  const server: Server = createServer((req, res) => void handle(req, res));
  return {
    server,
    listen: () =>
      new Promise<AddressInfo>((resolve) =>
        server.listen(config.port, config.host, () => resolve(server.address() as AddressInfo)),
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Live relays never end by themselves: end them so close() returns.
        shuttingDown.abort();
      }),
  };
}
