/**
 * The console's only way to the data: the query API on the same origin, with the token in the
 * Authorization header (never in a URL). The token arrives in the URL fragment
 * (`/console#token=…`, SPEC Interfaces), is kept in this tab's sessionStorage and removed from
 * the address bar so a shared link never carries it.
 */
const TOKEN_KEY = 'auditflow.console.token';

export function takeTokenFromFragment(): void {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  history.replaceState(history.state, '', location.pathname + location.search);
}

export const currentToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (token: string): void => sessionStorage.setItem(TOKEN_KEY, token);
export const forgetToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

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
