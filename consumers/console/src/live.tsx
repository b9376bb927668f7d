import { createParser } from 'eventsource-parser';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Whoami } from './api.tsx';
import { type Filters, filtersFrom, queryString } from './filters.ts';
import { useLocation } from './router.tsx';
import { FilteredPage } from './search.tsx';
import { fmtTime, Outcome } from './ui.tsx';

/** Events kept on screen; older ones scroll away (the stream itself has no gaps). */
const KEEP = 200;

// biome-ignore lint/suspicious/noExplicitAny: events in the JSON form are schemaless here.
type LiveEvent = any;

/**
 * The streamer's SSE feed through the query API (same scope as the searches). Pause closes the
 * stream and remembers the last resume position (`id:`); resume reconnects with it as
 * Last-Event-ID, so everything that happened meanwhile arrives, none twice (SPEC L2).
 */
export function LivePage(props: { who: Whoami }) {
  const loc = useLocation();
  const filters: Filters = filtersFrom(loc.search);
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [paused, setPaused] = useState(false);
  const [status, setStatus] = useState('connecting');
  // Bumped to reconnect from the last position (after an overflow signal).
  const [generation, setGeneration] = useState(0);
  const lastId = useRef<string | undefined>(undefined);

  useEffect(() => {
    if (paused) {
      setStatus(`paused at ${lastId.current ?? 'the start'}`);
      return;
    }
    const stop = new AbortController();
    // The streamer has no time range, correlation or text filter: the rest are the same.
    const { from: _f, to: _t, q: _q, correlation_id: _c, ...live } = filters;
    (async () => {
      try {
        const res = await api(`/v1/live${queryString(live)}`, 'live', {
          signal: stop.signal,
          headers: lastId.current ? { 'last-event-id': lastId.current } : {},
        });
        setStatus('live');
        const parser = createParser({
          onEvent: (m) => {
            if (m.id) lastId.current = m.id;
            if (m.event === 'overflow') {
              setStatus('fell behind; reconnecting from the last position');
              stop.abort();
              setGeneration((g) => g + 1);
              return;
            }
            const event = JSON.parse(m.data) as LiveEvent;
            setEvents((list) => [event, ...list].slice(0, KEEP));
          },
        });
        const reader = (res.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(decoder.decode(value, { stream: true }));
        }
        if (!stop.signal.aborted) setStatus('the stream ended; resume to reconnect');
      } catch (err) {
        if (!stop.signal.aborted) setStatus(`error: ${(err as Error).message}`);
      }
    })();
    return () => stop.abort();
    // biome-ignore lint/correctness/useExhaustiveDependencies: reconnect when the filters or pause change.
  }, [paused, loc.search, generation]);

  return (
    <FilteredPage
      title="Live"
      route="/live"
      who={props.who}
      filters={filters}
      live
      onNewQuery={() => {
        lastId.current = undefined;
        setEvents([]);
      }}
    >
      <div class="toolbar">
        <button type="button" onClick={() => setPaused(!paused)} aria-pressed={paused}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <span role="status" class="muted" data-status={status}>
          {status} · {events.length} events
        </span>
      </div>
      <ol class="live" aria-live="off">
        {events.map((e) => (
          <li key={e.id}>
            <span class="when">{fmtTime(e.occurred_at)}</span> <strong>{e.action}</strong> <Outcome value={e.outcome} />{' '}
            <span class="actor">{e.actor?.name ?? e.actor?.id}</span> <span class="muted">{e.tenant_id}</span>
          </li>
        ))}
      </ol>
    </FilteredPage>
  );
}
