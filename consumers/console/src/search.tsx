import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, getJson, type Whoami } from './api.tsx';
import {
  DEFAULT_RANGE,
  type Filters,
  filtersFrom,
  isoFromLocal,
  localFromIso,
  OUTCOMES,
  PAGE_SIZE,
  queryString,
  RELATIVE_RANGES,
  withDefaults,
} from './filters.ts';
import { Link, navigate, useLocation } from './router.tsx';
import type { Doc } from './timeline.ts';
import { actorOf, fmtTime, Outcome, Status, targetOf, useLoad } from './ui.tsx';

interface Page {
  events: Doc[];
  next_cursor: string | null;
}

/** The filter form; submitting puts the query in the URL (shareable) and starts at page one. */
export function FilterForm(props: { filters: Filters; who: Whoami; onSubmit: (f: Filters) => void; live?: boolean }) {
  const f = props.filters;
  const [custom, setCustom] = useState(Boolean(f.from && !RELATIVE_RANGES.includes(f.from as never)));
  const viewerTenant = props.who.kind === 'viewer' ? props.who.tenants[0] : undefined;
  return (
    <form
      class="filters"
      aria-label="Filters"
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        const get = (k: string) => String(data.get(k) ?? '').trim() || undefined;
        const next: Filters = {
          actor: get('actor'),
          action: get('action'),
          target: get('target'),
          outcome: get('outcome'),
          tenant_id: viewerTenant ? undefined : get('tenant_id'),
          correlation_id: get('correlation_id'),
          q: get('q'),
        };
        if (!props.live) {
          if (custom) {
            next.from = isoFromLocal(get('from_abs') ?? '');
            next.to = isoFromLocal(get('to_abs') ?? '');
          } else next.from = get('range');
        }
        props.onSubmit(next);
      }}
    >
      {!props.live && (
        <fieldset class="range">
          <legend>Time range</legend>
          <label>
            <input type="checkbox" checked={custom} onChange={(e) => setCustom(e.currentTarget.checked)} /> absolute
          </label>
          {custom ? (
            <>
              <label>
                From <input type="datetime-local" name="from_abs" step="1" defaultValue={localFromIso(f.from)} />
              </label>
              <label>
                To <input type="datetime-local" name="to_abs" step="1" defaultValue={localFromIso(f.to)} />
              </label>
            </>
          ) : (
            <label>
              Last{' '}
              <select name="range">
                {RELATIVE_RANGES.map((r) => (
                  <option key={r} value={r} selected={r === (f.from ?? DEFAULT_RANGE)}>
                    {r}
                  </option>
                ))}
              </select>
            </label>
          )}
        </fieldset>
      )}
      <label>
        Actor <input name="actor" defaultValue={f.actor} placeholder="id, name or e-mail" disabled={Boolean(props.who.actor)} />
      </label>
      <label>
        Action <input name="action" defaultValue={f.action} placeholder="git.* or agent.flow.started" />
      </label>
      <label>
        Target <input name="target" defaultValue={f.target} placeholder="target id or name" />
      </label>
      <label>
        Outcome{' '}
        <select name="outcome">
          <option value="">any</option>
          {OUTCOMES.map((o) => (
            <option key={o} value={o} selected={o === f.outcome}>
              {o}
            </option>
          ))}
        </select>
      </label>
      <label>
        Tenant{' '}
        <input name="tenant_id" defaultValue={viewerTenant ?? f.tenant_id} disabled={Boolean(viewerTenant)} />
      </label>
      {!props.live && (
        <>
          <label>
            Correlation id <input name="correlation_id" defaultValue={f.correlation_id} />
          </label>
          <label>
            Text <input name="q" type="search" defaultValue={f.q} placeholder="inside details" />
          </label>
        </>
      )}
      <button type="submit">{props.live ? 'Apply' : 'Search'}</button>
    </form>
  );
}

/**
 * A page with the filter form on top (search, sessions, overview, live): a new query goes into
 * the URL under `route`; the form is remounted for each URL, so it always shows the URL's query.
 */
export function FilteredPage(props: {
  title: string;
  route: string;
  who: Whoami;
  filters: Filters;
  live?: boolean;
  /** Runs before the new query is navigated to (live: forget the old stream's position). */
  onNewQuery?: () => void;
  children: ComponentChildren;
}) {
  const loc = useLocation();
  const id = `${props.route.slice(1)}-title`;
  return (
    <section aria-labelledby={id}>
      <h1 id={id}>{props.title}</h1>
      <FilterForm
        key={loc.search}
        filters={props.filters}
        who={props.who}
        live={props.live}
        onSubmit={(f) => {
          props.onNewQuery?.();
          navigate(`${props.route}${queryString(f)}`);
        }}
      />
      {props.children}
    </section>
  );
}

/** Downloads CSV or NDJSON of the current query through the audited export (Q2). */
async function download(filters: Filters, format: 'csv' | 'ndjson', setNote: (s: string) => void) {
  setNote(`Exporting ${format.toUpperCase()}…`);
  try {
    const res = await api(`/v1/export${queryString(filters, { format })}`, 'export');
    const blob = await res.blob();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `audit-export.${format}`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    setNote(`Exported ${format.toUpperCase()} (${blob.size} bytes)`);
  } catch (err) {
    setNote(`Export failed: ${(err as Error).message}`);
  }
}

export function SearchPage(props: { who: Whoami }) {
  const loc = useLocation();
  const params = new URLSearchParams(loc.search);
  const filters = withDefaults(filtersFrom(loc.search));
  const cursor = params.get('cursor') ?? undefined;
  const pageNo = Number(params.get('page') ?? '1') || 1;
  const [note, setNote] = useState('');
  const result = useLoad(loc.search, () =>
    getJson<Page>(`/v1/events${queryString(filters, { size: String(PAGE_SIZE), cursor })}`, 'search'),
  );
  return (
    <FilteredPage title="Search" route="/search" who={props.who} filters={filters}>
      <div class="toolbar">
        <button type="button" onClick={() => download(filters, 'csv', setNote)}>
          Export CSV
        </button>
        <button type="button" onClick={() => download(filters, 'ndjson', setNote)}>
          Export NDJSON
        </button>
        <span class="muted" role="status">
          {note}
        </span>
      </div>
      <Status of={result}>
        {(page) => (
          <>
            <div class="table-wrap">
              <table class="results">
                <caption>
                  Page {pageNo}: {page.events.length} events
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Time (UTC)</th>
                    <th scope="col">Action</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Target</th>
                    <th scope="col">Tenant</th>
                    <th scope="col">Service</th>
                  </tr>
                </thead>
                <tbody>
                  {page.events.map((d) => (
                    <tr key={d.event?.id}>
                      <td data-label="Time">
                        <Link to={`/event/${encodeURIComponent(d.event?.id)}`}>{fmtTime(d['@timestamp'])}</Link>
                      </td>
                      <td data-label="Action">{d.event?.action}</td>
                      <td data-label="Outcome">
                        <Outcome value={d.audit?.outcome} />
                      </td>
                      <td data-label="Actor" class="actor">
                        {actorOf(d)}
                      </td>
                      <td data-label="Target">{targetOf(d)}</td>
                      <td data-label="Tenant">{d.organization?.id}</td>
                      <td data-label="Service">{d.service?.name}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <nav class="pager" aria-label="Pages">
              {pageNo > 1 && (
                <button type="button" onClick={() => history.back()}>
                  Previous page
                </button>
              )}
              {page.next_cursor && (
                <Link
                  class="button"
                  to={`/search${queryString(filters, { cursor: page.next_cursor, page: String(pageNo + 1) })}`}
                >
                  Next page
                </Link>
              )}
            </nav>
          </>
        )}
      </Status>
    </FilteredPage>
  );
}
