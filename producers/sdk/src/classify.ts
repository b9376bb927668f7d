import type { ErrorClass } from '@auditflow/schemas';

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The HTTP status an error carries, in the shapes common clients use. */
function statusOf(err: Record<string, unknown>): number | undefined {
  for (const candidate of [
    err.status,
    err.statusCode,
    (err.response as Record<string, unknown> | undefined)?.status,
  ]) {
    if (typeof candidate === 'number') return candidate;
  }
  return undefined;
}

/**
 * Maps a failure of an external call (HTTP, git, LLM) to the SPEC's error classes (P4):
 * 401/403 auth_failure, 429 rate_limit, resets and DNS failures network_error, and so on.
 */
export function classifyError(error: unknown): { class: ErrorClass; code: string | null } {
  if (error === null || typeof error !== 'object') return { class: 'internal', code: null };
  const err = error as Record<string, unknown>;
  const status = statusOf(err);
  const code = typeof err.code === 'string' ? err.code : undefined;
  const name = typeof err.name === 'string' ? err.name : '';
  if (status !== undefined) {
    const text = String(status);
    if (status === 401 || status === 403) return { class: 'auth_failure', code: text };
    if (status === 429) return { class: 'rate_limit', code: text };
    if (status === 404 || status === 410) return { class: 'not_found', code: text };
    if (status === 409 || status === 412) return { class: 'conflict', code: text };
    if (status === 408 || status === 504) return { class: 'timeout', code: text };
    if (status === 400 || status === 422) return { class: 'validation_error', code: text };
    if (status >= 500) return { class: 'internal', code: text };
  }
  if (name === 'TimeoutError' || name === 'AbortError' || (code && TIMEOUT_CODES.has(code))) {
    return { class: 'timeout', code: code ?? name };
  }
  if (code && NETWORK_CODES.has(code)) return { class: 'network_error', code };
  const cause = err.cause;
  if (cause && typeof cause === 'object' && cause !== error) {
    const inner = classifyError(cause);
    if (inner.class !== 'internal') return inner;
  }
  return { class: 'internal', code: code ?? null };
}
