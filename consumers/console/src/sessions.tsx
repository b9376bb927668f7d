import { getJson, type Whoami } from './api.tsx';
import { filtersFrom, queryString, withDefaults } from './filters.ts';
import { Link, useLocation } from './router.tsx';
import { FilteredPage } from './search.tsx';
import { type Doc, ending, kindOf, touchedObjects } from './timeline.ts';
import { actorOf, fmtDuration, fmtTime, Outcome, Status, targetOf, useLoad } from './ui.tsx';

interface SessionSummary {
  id: string;
  status: string;
  started_at?: string;
  last_event_at?: string;
  duration_ms?: number;
  actor: { id?: string; name?: string; type?: string };
  tenant_id?: string;
  opened_by?: string;
  latest_action?: string;
  events: number;
  failures: number;
  denials: number;
}

export function SessionsPage(props: { who: Whoami }) {
  const loc = useLocation();
  const filters = withDefaults(filtersFrom(loc.search));
  const result = useLoad(loc.search, () =>
    getJson<{ sessions: SessionSummary[] }>(`/v1/sessions${queryString(filters)}`, 'sessions'),
  );
  return (
    <FilteredPage title="Sessions" route="/sessions" who={props.who} filters={filters}>
      <Status of={result}>
        {({ sessions }) => (
          <div class="table-wrap">
            <table class="results">
              <caption>{sessions.length} sessions, latest activity first</caption>
              <thead>
                <tr>
                  <th scope="col">Session</th>
                  <th scope="col">Status</th>
                  <th scope="col">Started (UTC)</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Events</th>
                  <th scope="col">Failures / denials</th>
                </tr>
              </thead>
              <tbody>
                {sessions.map((s) => (
                  <tr key={s.id}>
                    <td data-label="Session">
                      <Link to={`/session/${encodeURIComponent(s.id)}`}>{s.id}</Link>
                      <div class="muted">{s.opened_by}</div>
                    </td>
                    <td data-label="Status">
                      <span class={`badge status-${s.status}`}>{s.status}</span>
                    </td>
                    <td data-label="Started">{fmtTime(s.started_at)}</td>
                    <td data-label="Duration">{fmtDuration(s.duration_ms)}</td>
                    <td data-label="Actor" class="actor">
                      {s.actor.name ?? s.actor.id}
                    </td>
                    <td data-label="Events">{s.events}</td>
                    <td data-label="Failures / denials">
                      {s.failures} / {s.denials}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Status>
    </FilteredPage>
  );
}

/** A session's (or any correlation id's) events in order, what it touched and how it ended. */
export function TimelinePage(props: { id: string; kind: 'session' | 'trace' }) {
  const result = useLoad(`${props.kind}:${props.id}`, () =>
    getJson<{ correlation_id: string; services: string[]; events: Doc[] }>(
      `/v1/trace/${encodeURIComponent(props.id)}`,
      props.kind,
    ),
  );
  return (
    <section aria-labelledby="timeline-title">
      <h1 id="timeline-title">
        {props.kind === 'session' ? 'Session' : 'Trace'} <code>{props.id}</code>
      </h1>
      <Status of={result}>
        {({ events, services }) => {
          const end = ending(events);
          const objects = touchedObjects(events);
          return (
            <>
              <dl class="summary">
                <dt>Status</dt>
                <dd>
                  {end.doc ? (
                    <>
                      <span class={`badge status-${end.status}`}>{end.status}</span>
                      {end.doc.error?.message ? ` — ${end.doc.error.type ?? ''} ${end.doc.error.message}` : ''}
                    </>
                  ) : (
                    // A plain request trace has no lifecycle: nothing says it runs or ended.
                    <span class="muted">no lifecycle events</span>
                  )}
                </dd>
                <dt>Events</dt>
                <dd>{events.length}</dd>
                <dt>Services</dt>
                <dd>{services.join(', ')}</dd>
                <dt>From – to</dt>
                <dd>
                  {fmtTime(events[0]?.['@timestamp'])} – {fmtTime(events.at(-1)?.['@timestamp'])}
                </dd>
              </dl>
              <h2>Objects touched</h2>
              {objects.length === 0 ? (
                <p class="muted">none recorded</p>
              ) : (
                <ul class="objects">
                  {objects.map((o) => (
                    <li key={`${o.type}:${o.id}`}>
                      <strong>{o.type}</strong> {o.name ?? o.id} <span class="muted">({o.action})</span>
                    </li>
                  ))}
                </ul>
              )}
              <h2>Timeline</h2>
              <ol class="timeline">
                {events.map((d) => (
                  <li key={d.event?.id} class={`kind-${kindOf(d).replace(' ', '-')}`}>
                    <span class="when">{fmtTime(d['@timestamp'])}</span>
                    <span class="kind">{kindOf(d)}</span>
                    <Link to={`/event/${encodeURIComponent(d.event?.id)}`}>{d.event?.action}</Link>
                    <Outcome value={d.audit?.outcome} />
                    <span class="actor">{actorOf(d)}</span>
                    <span class="muted">{targetOf(d)}</span>
                  </li>
                ))}
              </ol>
            </>
          );
        }}
      </Status>
    </section>
  );
}
