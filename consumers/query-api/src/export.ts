import type { ServerResponse } from 'node:http';
import type { Client, estypes } from '@elastic/elasticsearch';
import type { Logger } from 'pino';
import { CSV_COLUMNS, csvCell, SORT } from './query.ts';

/** How long Elasticsearch keeps the export's point in time between two pages. */
const PIT_KEEP_ALIVE = '1m';
/** Documents per Elasticsearch page of an export. */
const EXPORT_PAGE = 1000;

/** What an export did, filled in as it goes: the completion audit record reads it. */
export interface ExportProgress {
  rows: number;
  /** Every matching row up to the cap was sent and the response ended. */
  complete: boolean;
  /** The cap stopped it while more rows matched. */
  truncated: boolean;
  /** The client closed the connection before the response ended. */
  clientGone: boolean;
}

/**
 * Streams the rows of an export, page by page over one Elasticsearch point in time (a stable
 * view: rows indexed meanwhile neither shift nor repeat pages), memory flat whatever the cap.
 * A client that goes away aborts the Elasticsearch request in flight and any wait for the
 * socket to drain; the point in time is closed on every path, so nothing is left pending.
 * Throws what Elasticsearch throws (after the headers the caller can only cut the response).
 */
export async function streamExport(
  deps: { es: Client; index: string; logger: Logger },
  request: {
    query: object;
    format: 'csv' | 'ndjson';
    limit: number;
    /** Rewrites each document before it goes out (operators masked for tenant viewers). */
    map?: (doc: Record<string, unknown>) => Record<string, unknown>;
  },
  res: ServerResponse,
  progress: ExportProgress,
): Promise<void> {
  const { es } = deps;
  const { format, limit, query } = request;
  const gone = new AbortController();
  const onClose = (): void => {
    if (res.writableFinished) return;
    progress.clientGone = true;
    gone.abort();
  };
  res.on('close', onClose);
  let pit: string | undefined;
  try {
    const opened = await es.openPointInTime(
      { index: deps.index, keep_alive: PIT_KEEP_ALIVE },
      { signal: gone.signal },
    );
    let current: string = opened.id;
    pit = current;
    res.writeHead(200, {
      'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
      'content-disposition': `attachment; filename="audit-export.${format}"`,
    });
    if (format === 'csv') res.write(`${CSV_COLUMNS.map(([name]) => name).join(',')}\r\n`);
    let after: unknown[] | undefined;
    while (progress.rows < limit && !gone.signal.aborted) {
      const size = Math.min(EXPORT_PAGE, limit - progress.rows);
      const page: estypes.SearchResponse = await es.search(
        {
          pit: { id: current, keep_alive: PIT_KEEP_ALIVE },
          query,
          sort: SORT as never,
          size,
          search_after: after as never,
          track_total_hits: false,
        },
        { signal: gone.signal },
      );
      // Elasticsearch may hand out a new id for the same point in time: always page with the latest.
      current = page.pit_id ?? current;
      pit = current;
      const hits = page.hits.hits;
      for (const hit of hits) {
        if (gone.signal.aborted) break;
        const source = hit._source as Record<string, unknown>;
        const doc = request.map ? request.map(source) : source;
        const line =
          format === 'csv'
            ? `${CSV_COLUMNS.map(([, get]) => csvCell(get(doc))).join(',')}\r\n`
            : `${JSON.stringify(doc)}\n`;
        progress.rows++;
        if (!res.write(line)) await drained(res, gone.signal);
      }
      if (hits.length < size) break; // the last page
      after = hits.at(-1)?.sort;
      if (progress.rows >= limit) progress.truncated = await more(es, current, query, after, gone.signal);
    }
    if (gone.signal.aborted) return;
    // Closed before the end goes out, so the completion record (emitted as this returns) is
    // written before the client can see the export finished.
    await closePit(deps, pit);
    pit = undefined;
    res.end();
    progress.complete = true;
  } catch (err) {
    if (gone.signal.aborted) return; // the client left: the abort is ours, not a failure to report
    throw err;
  } finally {
    res.off('close', onClose);
    await closePit(deps, pit);
  }
}

/** Waits until the socket takes more, or the client is gone. */
function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Whether a row past the cap matches: the audit record says the export was cut short. */
async function more(
  es: Client,
  pit: string,
  query: object,
  after: unknown[] | undefined,
  signal: AbortSignal,
): Promise<boolean> {
  const next = await es.search(
    {
      pit: { id: pit, keep_alive: PIT_KEEP_ALIVE },
      query,
      sort: SORT as never,
      size: 1,
      search_after: after as never,
      track_total_hits: false,
      _source: false,
    },
    { signal },
  );
  return next.hits.hits.length > 0;
}

/** Frees the point in time at once (it would otherwise live its keep-alive); never throws. */
async function closePit(deps: { es: Client; logger: Logger }, id: string | undefined): Promise<void> {
  if (id === undefined) return;
  await deps.es
    .closePointInTime({ id })
    .catch((err: Error) => deps.logger.warn({ err: err.message }, 'could not close an export point in time'));
}
