import { getJson } from './api.tsx';
import { leaves } from './markers.ts';
import { Link } from './router.tsx';
import type { Doc } from './timeline.ts';
import { fmtTime, Outcome, Redacted, Status, useLoad } from './ui.tsx';

interface Finding {
  rule: string;
  path: string;
  count: number;
}

/** One event: every field, redaction markers as such, the fingerprint, links to its trace and session. */
export function EventPage(props: { id: string }) {
  const result = useLoad(props.id, () =>
    getJson<{ event: Doc }>(`/v1/events/${encodeURIComponent(props.id)}`, 'event'),
  );
  return (
    <section aria-labelledby="event-title">
      <h1 id="event-title">Event</h1>
      <Status of={result}>
        {({ event: d }) => {
          const findings: Finding[] = d.audit?.sanitization?.findings ?? [];
          const correlation: string | undefined = d.audit?.correlation_id;
          return (
            <>
              <dl class="summary">
                <dt>Action</dt>
                <dd>{d.event?.action}</dd>
                <dt>Outcome</dt>
                <dd>
                  <Outcome value={d.audit?.outcome} />
                </dd>
                <dt>When</dt>
                <dd>{fmtTime(d['@timestamp'])}</dd>
                <dt>Actor</dt>
                <dd class="actor">
                  {d.user?.name ?? d.user?.id} {d.audit?.actor?.type ? `(${d.audit.actor.type})` : ''}
                </dd>
                <dt>Fingerprint</dt>
                <dd>
                  <code class="fingerprint">{d.audit?.fingerprint ?? d.event?.hash ?? 'none'}</code>
                </dd>
                <dt>Correlation</dt>
                <dd>
                  {correlation ? (
                    <>
                      <Link to={`/trace/${encodeURIComponent(correlation)}`}>trace {correlation}</Link>
                      {' · '}
                      <Link to={`/session/${encodeURIComponent(correlation)}`}>session timeline</Link>
                    </>
                  ) : (
                    'none'
                  )}
                </dd>
                {d.audit?.actor?.session_id && (
                  <>
                    <dt>Actor session</dt>
                    <dd>
                      {d.audit.actor.session_id}{' '}
                      {d.user?.id && (
                        <Link to={`/search?actor=${encodeURIComponent(d.user.id)}`}>(all events of this actor)</Link>
                      )}
                    </dd>
                  </>
                )}
              </dl>
              <h2>Redactions</h2>
              {findings.length === 0 ? (
                <p class="muted">The sanitizer changed nothing in this event.</p>
              ) : (
                <ul class="findings">
                  {findings.map((f) => (
                    <li key={`${f.rule}@${f.path}`}>
                      <mark class="redacted">redacted: {f.rule}</mark> at <code>{f.path}</code> ({f.count}×)
                    </li>
                  ))}
                </ul>
              )}
              <h2>All fields</h2>
              <div class="table-wrap">
                <table class="fields">
                  <tbody>
                    {leaves(d).map(([path, value]) => (
                      <tr key={path}>
                        <th scope="row">
                          <code>{path}</code>
                        </th>
                        <td>{typeof value === 'string' ? <Redacted text={value} /> : String(value)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          );
        }}
      </Status>
    </section>
  );
}
