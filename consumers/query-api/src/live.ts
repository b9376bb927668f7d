import type { IncomingMessage, ServerResponse } from 'node:http';
import { createParser } from 'eventsource-parser';
import { z } from 'zod';
import { QueryError } from './query.ts';

/** The streamer the console's Live page reads through the query API (SPEC L1, L2). */
export interface LiveSource {
  /** e.g. http://127.0.0.1:8090 */
  readonly url: string;
  /** A streamer token that may read every tenant the query API's clients may. */
  readonly token: string;
}

/** The live filters (the streamer's; the same names as the search's where they overlap). */
export const liveFiltersSchema = z.strictObject({
  action: z.string().min(1).max(512).optional(),
  category: z.string().min(1).max(512).optional(),
  actor: z.string().min(1).max(512).optional(),
  target: z.string().min(1).max(512).optional(),
  outcome: z.enum(['success', 'failure', 'denied', 'unknown']).optional(),
  tenant_id: z.string().min(1).max(512).optional(),
  /** The resume position (an SSE `id:`); the Last-Event-ID header wins. */
  since: z.string().min(1).max(512).optional(),
});
export type LiveFilters = z.output<typeof liveFiltersSchema>;

/** How often a comment line keeps idle proxies and the browser from closing the stream. */
const HEARTBEAT_MS = 15_000;

/**
 * Relays the streamer's SSE feed for these filters (already narrowed to the caller's tenants
 * and actor), each event through `map` (operators masked for tenant viewers). Every frame keeps
 * the streamer's `id:` resume position, so a console that pauses (closes) and resumes with the
 * last id it saw gets everything in between (L2). Resolves when either side closes.
 */
export async function relayLive(
  source: LiveSource,
  filters: LiveFilters,
  req: IncomingMessage,
  res: ServerResponse,
  map: (event: unknown) => unknown,
  /** Aborted when the query API shuts down: every relay ends so the server can close. */
  shutdown?: AbortSignal,
): Promise<void> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters))
    if (value !== undefined && key !== 'since') params.set(key, value);
  const since = (req.headers['last-event-id'] as string | undefined) || filters.since;
  const gone = new AbortController();
  // The response's close: the client went away (or the relay ended), whichever comes first.
  res.on('close', () => gone.abort());
  shutdown?.addEventListener('abort', () => gone.abort(), { once: true });
  let upstream: Response;
  try {
    upstream = await fetch(`${source.url}/v1/stream?${params}`, {
      headers: {
        authorization: `Bearer ${source.token}`,
        accept: 'text/event-stream',
        ...(since ? { 'last-event-id': since } : {}),
      },
      signal: gone.signal,
    });
  } catch (err) {
    if (gone.signal.aborted) return;
    throw new QueryError(
      502,
      'stream_unavailable',
      `the live stream is not reachable (${(err as Error).message})`,
    );
  }
  if (!upstream.ok || !upstream.body) {
    const text = await upstream.text().catch(() => '');
    const status = upstream.status === 400 ? 400 : 502;
    throw new QueryError(
      status,
      'stream_refused',
      `the streamer answered ${upstream.status}: ${text.slice(0, 300)}`,
    );
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  const parser = createParser({
    onEvent: (message) => {
      const id = message.id ? `id: ${message.id}\n` : '';
      if (message.event && message.event !== 'message') {
        res.write(`${id}event: ${message.event}\ndata: ${message.data}\n\n`);
        return;
      }
      let data = message.data;
      try {
        data = JSON.stringify(map(JSON.parse(message.data)));
      } catch {
        return; // not an event: nothing a viewer should see unmasked
      }
      res.write(`${id}data: ${data}\n\n`);
    },
  });
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
  const decoder = new TextDecoder();
  try {
    for await (const chunk of upstream.body)
      parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
  } catch (err) {
    if (!gone.signal.aborted) throw err;
  } finally {
    clearInterval(heartbeat);
    gone.abort();
    if (!res.writableEnded) res.end();
  }
}
