/**
 * The console's only way to the data: the query API on the same origin, with the token in the
 * Authorization header (never in a URL). The token arrives in the URL fragment
 * (`/console#token=…`, SPEC Interfaces), is kept in this tab's sessionStorage (in memory where a
 * third-party iframe has none) and removed from the address bar so a shared link never carries it.
 */
const TOKEN_KEY = 'auditflow.console.token';

/**
 * This tab's storage, or none: inside a host product's iframe (a third-party context) browsers
 * may refuse storage, and reading `sessionStorage` then throws.
 */
function storage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

/** The token for this page's life when there is no storage (SPA navigation keeps it). */
let memoryToken: string | null = null;

export function takeTokenFromFragment(): void {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (!token) return;
  memoryToken = token;
  const store = storage();
  if (!store) return; // keep the fragment: a reload inside the iframe still has the token
  store.setItem(TOKEN_KEY, token);
  history.replaceState(history.state, '', location.pathname + location.search);
}

export const currentToken = (): string | null => storage()?.getItem(TOKEN_KEY) ?? memoryToken;
export const setToken = (token: string): void => {
  memoryToken = token;
  storage()?.setItem(TOKEN_KEY, token);
};
export const forgetToken = (): void => {
  memoryToken = null;
  storage()?.removeItem(TOKEN_KEY);
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A fetch of the query API; `page` names the console page (recorded with a viewer's reads). */
export async function api(path: string, page: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(path, {
    ...init,
    headers: {
      ...(init.headers as Record<string, string> | undefined),
      authorization: `Bearer ${currentToken() ?? ''}`,
      'x-auditflow-page': page,
    },
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
    throw new ApiError(res.status, body.error ?? 'error', body.message ?? res.statusText);
  }
  return res;
}

export async function getJson<T>(path: string, page: string): Promise<T> {
  return (await api(path, page)).json() as Promise<T>;
}

export interface Whoami {
  id: string;
  kind: 'viewer' | 'client';
  tenants: string[];
  actor: string | null;
  expires_at: string | null;
  live: boolean;
}
