import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { currentToken, forgetToken, getJson, setToken, takeTokenFromFragment, type Whoami } from './api.tsx';
import { EventPage } from './event.tsx';
import { LivePage } from './live.tsx';
import { OverviewPage } from './overview.tsx';
import { Link, useLocation } from './router.tsx';
import { SearchPage } from './search.tsx';
import { SessionsPage, TimelinePage } from './sessions.tsx';
import { fmtTime, Status, useLoad } from './ui.tsx';
import './style.css';

takeTokenFromFragment();

const NAV = [
  ['/search', 'Search'],
  ['/sessions', 'Sessions'],
  ['/overview', 'Overview'],
  ['/live', 'Live'],
] as const;

function SignIn(props: { onToken: () => void; problem?: string }) {
  return (
    <main id="main" class="signin">
      <h1>Auditflow console</h1>
      {props.problem && (
        <p class="error" role="alert">
          {props.problem}
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const token = String(new FormData(e.currentTarget).get('token') ?? '').trim();
          if (token) {
            setToken(token);
            props.onToken();
          }
        }}
      >
        <label>
          Token (a query token, or a viewer token from <code>auditflow viewer-token</code>){' '}
          <input name="token" type="password" autoComplete="off" required />
        </label>
        <button type="submit">Open</button>
      </form>
    </main>
  );
}

function Page(props: { who: Whoami }) {
  const { path } = useLocation();
  const [, first, rest] = /^\/([^/]*)\/?(.*)$/.exec(path) ?? [];
  const id = rest ? decodeURIComponent(rest) : '';
  switch (first) {
    case 'event':
      return <EventPage id={id} />;
    case 'sessions':
      return <SessionsPage who={props.who} />;
    case 'session':
      return <TimelinePage id={id} kind="session" />;
    case 'trace':
      return <TimelinePage id={id} kind="trace" />;
    case 'overview':
      return <OverviewPage who={props.who} />;
    case 'live':
      return <LivePage who={props.who} />;
    default:
      return <SearchPage who={props.who} />;
  }
}

function Shell(props: { who: Whoami; onSignOut: () => void }) {
  const { path } = useLocation();
  const who = props.who;
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // After a navigation, keyboard and screen-reader users continue in the new page's content.
  useEffect(() => {
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [path]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Auditflow</span>
        <nav aria-label="Console">
          {NAV.map(([to, label]) => (
            <Link key={to} to={to} aria-current={path.startsWith(to) ? 'page' : undefined}>
              {label}
            </Link>
          ))}
        </nav>
        <span class="scope" data-kind={who.kind}>
          {who.kind === 'viewer'
            ? `Viewer ${who.id} · tenant ${who.tenants.join(', ')}${who.actor ? ` · actor ${who.actor}` : ''} · until ${fmtTime(who.expires_at ?? undefined)}`
            : `${who.id} · tenants ${who.tenants.join(', ')}`}
        </span>
        {who.kind === 'client' && (
          <button type="button" class="link" onClick={props.onSignOut}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1} ref={main}>
        <Page who={who} />
      </main>
    </>
  );
}

function App() {
  const [generation, setGeneration] = useState(0);
  const token = currentToken();
  const who = useLoad(`${generation}:${token ?? ''}`, () =>
    token ? getJson<Whoami>('/v1/whoami', 'whoami') : Promise.reject(new Error('no token')),
  );
  if (!token) return <SignIn onToken={() => setGeneration(generation + 1)} />;
  if (who.state === 'error')
    return (
      <SignIn
        problem={`This token was refused: ${who.error.message}`}
        onToken={() => setGeneration(generation + 1)}
      />
    );
  return (
    <Status of={who}>
      {(w) => (
        <Shell
          who={w}
          onSignOut={() => {
            forgetToken();
            setGeneration(generation + 1);
          }}
        />
      )}
    </Status>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
