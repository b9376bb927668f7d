import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AuditProducer, SpoolFullError } from '@auditflow/producer';
import {
  type AuditEventInput,
  type FieldIssue,
  reservedOriginIssues,
  validateEvent,
} from '@auditflow/schemas';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { Authenticator, type AuthFailure, type AuthResult, type GatewayClient } from './auth.ts';
import { type AggregatedAuthFailure, AuthFailureAggregator } from './auth-failures.ts';
import { BodyTooLargeError, parseEvents, readBody } from './body.ts';
import type { GatewayConfig } from './config.ts';
import { RateLimiter } from './rate-limit.ts';

export interface Gateway {
  readonly server: Server;
  listen(): Promise<AddressInfo>;
  /** Stops accepting connections and waits for requests in progress. */
  close(): Promise<void>;
}

/** Request headers the gateway reads (lower case, as Node gives them). */
export const HEADERS = {
  authorization: 'authorization',
  client: 'x-auditflow-client',
  timestamp: 'x-auditflow-timestamp',
  nonce: 'x-auditflow-nonce',
  signature: 'x-auditflow-signature',
  contentType: 'content-type',
} as const;

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * The HTTP ingest gateway (P5). Events pass authentication, a per-client rate limit and schema
 * validation (all of a batch, before any is emitted), then go through the SDK; the answer is
 * 202 only once each is durable.
 */
export function createGateway(options: {
  config: GatewayConfig;
  producer: AuditProducer;
  logger: Logger;
  registry: Registry;
}): Gateway {
  const { config, producer, logger } = options;
  const authenticator = new Authenticator(config.clients, {
    windowSeconds: config.signatureWindowSeconds,
    replayCacheSize: config.replayCacheSize,
  });
  const limiter = new RateLimiter();
  const requests = new Counter({
    name: 'auditflow_gateway_requests_total',
    help: 'Gateway requests by route and status',
    labelNames: ['route', 'status'],
    registers: [options.registry],
  });
  const authFailures = new Counter({
    name: 'auditflow_gateway_auth_failures_total',
    help: 'Failed authentications by method and reason (audited aggregated, once per client and reason per interval)',
    labelNames: ['method', 'reason'],
    registers: [options.registry],
  });
  let draining = false;

  /** The gateway's own audit events: the pipeline's tenant, so they opt in as the pipeline's. */
  const auditSelf = (event: Omit<AuditEventInput, 'tenant_id' | 'service'>): void => {
    try {
      producer.emit(
        { ...event, tenant_id: config.selfTenant, service: { name: 'auditflow-gateway' } },
        { pipeline: true },
      );
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'could not audit an authentication decision');
    }
  };

  /** The gateway audits its own authentication decisions (never the credential itself). */
  const auditAccepted = (client: GatewayClient, method: AuthResult['method'], sourceIp: string | undefined) =>
    auditSelf({
      action: method === 'hmac' ? 'auth.webhook.hmac_valid' : 'auth.token.accepted',
      category: 'authentication',
      actor: { type: 'service', id: client.id, ip: sourceIp ?? null },
      target: { type: 'endpoint', id: 'POST /v1/events' },
      outcome: 'success',
      details: { method },
    });

  const auditRejected = (failure: AggregatedAuthFailure) =>
    auditSelf({
      action: failure.method === 'hmac' ? 'auth.webhook.hmac_invalid' : 'auth.token.rejected',
      category: 'authentication',
      actor: { type: 'service', id: failure.clientId ?? 'unknown', ip: failure.sourceIps[0] ?? null },
      target: { type: 'endpoint', id: 'POST /v1/events' },
      outcome: 'denied',
      error: { class: 'auth_failure', code: '401', message: failure.reason },
      details: {
        method: failure.method,
        reason: failure.reason,
        count: failure.count,
        first_at: new Date(failure.firstAt).toISOString(),
        last_at: new Date(failure.lastAt).toISOString(),
        source_ips: failure.sourceIps,
        interval_s: config.authFailureIntervalSeconds,
      },
    });
  const failures = new AuthFailureAggregator(config.authFailureIntervalSeconds * 1000, auditRejected);
  const flushTimer = setInterval(
    () => failures.flush(),
    Math.min(1000, config.authFailureIntervalSeconds * 1000),
  );
  flushTimer.unref();

  /** 401 (or 503 when signed requests cannot be checked for replay now); the body stays unread. */
  const refuse = (res: ServerResponse, failure: AuthFailure, sourceIp: string | undefined): number => {
    authFailures.inc({ method: failure.method, reason: failure.reason });
    failures.record(failure, sourceIp);
    if (failure.retryAfterS !== undefined) {
      send(
        res,
        503,
        { error: 'busy', message: failure.reason },
        { 'retry-after': String(failure.retryAfterS), connection: 'close' },
      );
      return 503;
    }
    // Connection: close, so Node does not read the rest of an unauthenticated body to reuse it.
    send(
      res,
      401,
      { error: 'unauthorized', message: failure.reason },
      { 'www-authenticate': 'Bearer', connection: 'close' },
    );
    return 401;
  };

  const ingest = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const receivedAt = Date.now();
    const sourceIp = req.socket.remoteAddress;
    // Authentication first, from the headers alone: an unauthenticated body is never read.
    const identified = authenticator.identify({
      authorization: header(req, HEADERS.authorization),
      clientId: header(req, HEADERS.client),
      timestamp: header(req, HEADERS.timestamp),
      nonce: header(req, HEADERS.nonce),
      signature: header(req, HEADERS.signature),
    });
    if (!identified.ok) return refuse(res, identified, sourceIp);
    const type = header(req, HEADERS.contentType) ?? '';
    if (!/^application\/json\b/i.test(type)) {
      send(res, 415, { error: 'unsupported_media_type', message: 'send Content-Type: application/json' });
      return 415;
    }
    let body: Buffer;
    try {
      body = await readBody(req, config.maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        send(res, 413, { error: 'body_too_large', message: err.message }, { connection: 'close' });
        return 413;
      }
      throw err;
    }
    const auth = authenticator.verifySignature(identified, body);
    if (!auth.ok) return refuse(res, auth, sourceIp);
    auditAccepted(auth.client, auth.method, sourceIp);
    const client = auth.client;
    const parsed = parseEvents(body, config.maxBatch);
    if (!parsed.ok) {
      send(res, 400, { error: parsed.error, message: parsed.message });
      return 400;
    }
    const events = parsed.events.map((raw) => {
      const event = { ...(raw as Record<string, unknown>) };
      if (event.tenant_id === undefined && client.tenants.length === 1) event.tenant_id = client.tenants[0];
      if (event.service === undefined) event.service = { name: client.id };
      return event as AuditEventInput;
    });
    const invalid: { index: number; errors: readonly FieldIssue[] }[] = [];
    events.forEach((event, index) => {
      const errors = [
        ...reservedOriginIssues(event, config.selfTenant),
        ...validateEvent(event, { receivedAt, window: config.occurredAtWindow }),
      ];
      if (errors.length > 0) invalid.push({ index, errors });
    });
    if (invalid.length > 0) {
      send(res, 400, {
        error: 'validation_failed',
        message: 'no event of this request was accepted',
        events: invalid,
      });
      return 400;
    }
    const outside = events.findIndex(
      (e) => client.tenants.length > 0 && !client.tenants.includes(e.tenant_id as string),
    );
    if (outside >= 0) {
      send(res, 403, {
        error: 'tenant_forbidden',
        message: `event ${outside}: this client may not write tenant_id ${events[outside]?.tenant_id}`,
      });
      return 403;
    }
    const allowed = limiter.take(client.id, events.length, client.eventsPerSecond, client.burst);
    if (!allowed.ok) {
      send(
        res,
        429,
        { error: 'rate_limited', message: `over ${client.eventsPerSecond} events/s` },
        { 'retry-after': String(allowed.retryAfterS) },
      );
      return 429;
    }
    try {
      // The origin is the authenticated client; whatever the body said in `ingest` is overwritten.
      const origin = { via: 'gateway', clientId: client.id, receivedAt } as const;
      const receipts = await producer.emitAllDurable(events, { origin });
      send(res, 202, { ids: receipts.map((r) => r.id) });
      return 202;
    } catch (err) {
      if (err instanceof SpoolFullError) {
        send(
          res,
          503,
          { error: 'spool_full', message: 'Kafka is unreachable and the spool is full' },
          { 'retry-after': '5' },
        );
        return 503;
      }
      throw err;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    let route = 'other';
    let status = 404;
    try {
      if (req.method === 'POST' && path === '/v1/events') {
        route = 'events';
        if (draining) {
          status = 503;
          send(res, 503, {
            error: 'shutting_down',
            message: 'the gateway is stopping; retry another instance',
          });
        } else {
          status = await ingest(req, res);
        }
      } else if (req.method === 'GET' && path === '/healthz') {
        route = 'healthz';
        status = 200;
        send(res, 200, { status: 'ok' });
      } else if (req.method === 'GET' && path === '/readyz') {
        route = 'readyz';
        // Ready means accepting: with Kafka away, events are still taken into the spool.
        status = draining ? 503 : 200;
        send(res, status, {
          ready: !draining,
          kafka: producer.connected ? 'connected' : 'unreachable',
          spooled: producer.depth,
        });
      } else if (req.method === 'GET' && path === '/metrics') {
        route = 'metrics';
        status = 200;
        const text = await options.registry.metrics();
        res.writeHead(200, { 'content-type': options.registry.contentType });
        res.end(text);
      } else {
        send(res, 404, { error: 'not_found' });
      }
    } catch (err) {
      status = 500;
      logger.error({ err: (err as Error).message, route }, 'request failed');
      if (!res.headersSent) send(res, 500, { error: 'internal' });
      else res.destroy();
    }
    requests.inc({ route, status: String(status) });
  };

  const server = createServer((req, res) => void handle(req, res));
  server.requestTimeout = 30_000;

  return {
    server,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve(server.address() as AddressInfo));
      }),
    close: () =>
      new Promise((resolve) => {
        draining = true;
        clearInterval(flushTimer);
        server.close(() => {
          // Counted failures are audited before the producer closes.
          failures.flush(true);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
