import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { type WebSocket, WebSocketServer } from 'ws';
import { FilterError, parseFilters } from './filters.ts';
import { sseFramer, wsFramer } from './frames.ts';
import { CapacityError, type StreamHub } from './hub.ts';
import { InvalidPositionError, parseSince, type Since } from './position.ts';
import type { Sink, Subscriber } from './subscriber.ts';
import { AuthError, authenticator, type Scope, type StreamClient, scopeFor } from './tokens.ts';

export interface StreamServerConfig {
  readonly host: string;
  readonly port: number;
  readonly clients: readonly StreamClient[];
  /** A heartbeat goes to a connection idle this long (keeps proxies from closing it). */
  readonly heartbeatMs: number;
  /**
   * Bytes a connection may hold in Node's socket buffer before the subscriber's own bounded
   * queue takes over; it absorbs the burst of one Kafka fetch for a subscriber that keeps up.
   */
  readonly socketBufferBytes: number;
}

class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function asRequestError(err: unknown): RequestError | undefined {
  if (err instanceof AuthError)
    return new RequestError(err.status, err.status === 401 ? 'unauthorized' : 'forbidden', err.message);
  if (err instanceof FilterError || err instanceof InvalidPositionError)
    return new RequestError(400, 'invalid_parameter', err.message);
  if (err instanceof CapacityError) return new RequestError(503, 'at_capacity', err.message);
  if (err instanceof RequestError) return err;
  return undefined;
}

/** GET /v1/stream (SSE), GET /v1/ws (WebSocket), /healthz, /readyz, /metrics on one port. */
export function createStreamServer(options: {
  config: StreamServerConfig;
  hub: StreamHub;
  logger: Logger;
  registry: Registry;
  /** Extra readiness (e.g. destinations running); the hub's live feed is always required. */
  ready?: () => boolean;
}) {
  const { config, hub, logger, registry } = options;
  const authenticate = authenticator(config.clients);
  const requests = new Counter({
    name: 'auditflow_streamer_requests_total',
    help: 'Stream requests by route and status',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const active = new Map<Subscriber, string>();

  const subscription = (req: IncomingMessage, url: URL): { scope: Scope; since: Since | undefined } => {
    const client = authenticate(req.headers.authorization);
    const scope = scopeFor(client, parseFilters(url.searchParams));
    const lastEventId = req.headers['last-event-id'];
    const since =
      typeof lastEventId === 'string' && lastEventId ? lastEventId : url.searchParams.get('since');
    return { scope, since: since ? parseSince(since) : undefined };
  };

  const sse = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const { scope, since } = subscription(req, url);
    // Headers are only set here: a refused subscription can still answer 503 with a body.
    res.statusCode = 200;
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache, no-transform');
    res.setHeader('connection', 'keep-alive');
    res.setHeader('x-accel-buffering', 'no');
    res.socket?.setNoDelay(true);
    const sink: Sink = {
      write: (frame) => {
        res.write(frame);
        // 'drain' only follows a write that returned false, which Node does past its own
        // high-water mark (16 KB): a smaller limit here would wait for a drain that never comes.
        return res.writableLength < Math.max(config.socketBufferBytes, res.writableHighWaterMark);
      },
      onDrain: (listener) => res.on('drain', listener),
      close: () => {
        res.end();
        // A client that stopped reading never takes the end: do not keep its socket forever.
        setTimeout(() => res.destroy(), 10_000).unref();
      },
    };
    let subscriber: Subscriber | undefined;
    let gone = false;
    req.on('close', () => {
      gone = true;
      if (subscriber) {
        hub.detach(subscriber, 'sse');
        active.delete(subscriber);
      }
    });
    subscriber = await hub.attach({ scope, since, sink, framer: sseFramer, transport: 'sse' });
    if (!res.headersSent) res.flushHeaders();
    if (gone) hub.detach(subscriber, 'sse');
    else active.set(subscriber, 'sse');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://streamer');
    let route = 'other';
    let status = 200;
    try {
      if (req.method !== 'GET') throw new RequestError(405, 'method_not_allowed', 'only GET');
      if (url.pathname === '/healthz') {
        route = 'healthz';
        send(res, 200, { status: 'ok' });
      } else if (url.pathname === '/readyz') {
        route = 'readyz';
        const ok = hub.ready && (options.ready?.() ?? true);
        status = ok ? 200 : 503;
        send(res, status, { ready: ok, subscribers: hub.subscriberCount });
      } else if (url.pathname === '/metrics') {
        route = 'metrics';
        res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
      } else if (url.pathname === '/v1/stream') {
        route = 'stream';
        await sse(req, res, url);
      } else {
        throw new RequestError(404, 'not_found', 'no such endpoint');
      }
    } catch (err) {
      const known = asRequestError(err);
      status = known?.status ?? 500;
      if (!known) logger.error({ err: (err as Error).message, route }, 'stream request failed');
      if (!res.headersSent) send(res, status, { error: known?.code ?? 'internal', message: known?.message });
      else if (!res.writableEnded) res.destroy();
    }
    requests.inc({ route, status: String(status) });
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });

  const startWs = async (ws: WebSocket, scope: Scope, since: Since | undefined): Promise<void> => {
    const drainListeners: (() => void)[] = [];
    const sink: Sink = {
      write: (frame) => {
        ws.send(frame, () => {
          if (ws.bufferedAmount < config.socketBufferBytes / 2) for (const l of drainListeners) l();
        });
        return ws.bufferedAmount < config.socketBufferBytes;
      },
      onDrain: (listener) => drainListeners.push(listener),
      close: () => {
        ws.close(4008, 'overflow');
        setTimeout(() => ws.terminate(), 10_000).unref();
      },
    };
    const subscriber = await hub.attach({ scope, since, sink, framer: wsFramer, transport: 'ws' });
    if (ws.readyState !== ws.OPEN) {
      hub.detach(subscriber, 'ws');
      return;
    }
    active.set(subscriber, 'ws');
    ws.on('close', () => {
      hub.detach(subscriber, 'ws');
      active.delete(subscriber);
    });
  };

  /**
   * WebSocket protocol: with `?since=` the stream starts at once. Otherwise the client's first
   * message says where to start: `{"type":"subscribe"}` (live from now) or
   * `{"type":"resume","position":"<position of the last event it has>"}`.
   */
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://streamer');
    let sub: { scope: Scope; since: Since | undefined };
    try {
      if (url.pathname !== '/v1/ws') throw new RequestError(404, 'not_found', 'no such endpoint');
      sub = subscription(req, url);
    } catch (err) {
      const known = asRequestError(err) ?? new RequestError(500, 'internal', 'internal error');
      const body = JSON.stringify({ error: known.code, message: known.message });
      socket.end(
        `HTTP/1.1 ${known.status} ${known.code}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      requests.inc({ route: 'ws', status: String(known.status) });
      return;
    }
    requests.inc({ route: 'ws', status: '101' });
    wss.handleUpgrade(req, socket, head, (ws) => {
      let alive = true;
      ws.on('pong', () => {
        alive = true;
      });
      const ping = setInterval(() => {
        if (!alive) return ws.terminate();
        alive = false;
        ws.ping();
      }, config.heartbeatMs);
      ws.on('close', () => clearInterval(ping));
      const begin = (since: Since | undefined): void => {
        startWs(ws, sub.scope, since).catch((err: unknown) => {
          const known = asRequestError(err);
          if (!known) logger.error({ err: (err as Error).message }, 'websocket subscription failed');
          ws.send(
            JSON.stringify({ type: 'error', error: known?.code ?? 'internal', message: known?.message }),
          );
          ws.close(known?.status === 503 ? 1013 : 1011);
        });
      };
      if (sub.since !== undefined) return begin(sub.since);
      ws.once('message', (data) => {
        try {
          const msg = JSON.parse(String(data)) as { type?: string; position?: string; since?: string };
          if (msg.type === 'subscribe') begin(msg.since ? parseSince(msg.since) : undefined);
          else if (msg.type === 'resume' && typeof msg.position === 'string') begin(parseSince(msg.position));
          else
            throw new InvalidPositionError(
              'first message: {"type":"subscribe"} or {"type":"resume","position":"..."}',
            );
        } catch (err) {
          ws.send(
            JSON.stringify({ type: 'error', error: 'invalid_message', message: (err as Error).message }),
          );
          ws.close(1008);
        }
      });
    });
  };

  const server: Server = createServer((req, res) => void handle(req, res));
  server.on('upgrade', upgrade);
  const heartbeats = setInterval(
    () => {
      const now = Date.now();
      for (const [s, transport] of active) if (transport === 'sse') s.heartbeat(config.heartbeatMs, now);
    },
    Math.max(250, Math.floor(config.heartbeatMs / 2)),
  );
  heartbeats.unref();

  return {
    server,
    listen: () =>
      new Promise<AddressInfo>((resolve) =>
        server.listen(config.port, config.host, () => resolve(server.address() as AddressInfo)),
      ),
    close: async (): Promise<void> => {
      clearInterval(heartbeats);
      for (const ws of wss.clients) ws.close(1001, 'shutting down');
      for (const [s, transport] of active) hub.detach(s, transport);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
