import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** The console lives under /console; its own routes follow (search, event/<id>, …). */
export const BASE = '/console';

export interface Location {
  readonly path: string;
  readonly search: string;
}

const here = (): Location => ({
  path: location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) || '/' : '/',
  search: location.search,
});

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => {
  for (const l of listeners) l();
});

/** Goes to a console route, adding a history entry (back and forward work). */
export function navigate(to: string, replace = false): void {
  const url = `${BASE}${to}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const l of listeners) l();
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(here);
  useEffect(() => {
    const update = () => setLoc(here());
    listeners.add(update);
    return () => {
      listeners.delete(update);
    };
  }, []);
  return loc;
}

/** A real link (middle-click and keyboard work) that navigates in place on a plain click. */
export function Link(props: {
  to: string;
  children: ComponentChildren;
  class?: string;
  'aria-current'?: 'page' | undefined;
}) {
  const { to, children } = props;
  return (
    <a
      class={props.class}
      aria-current={props['aria-current']}
      href={`${BASE}${to}`}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
