import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuditEventJson } from '@auditflow/schemas';
import { z } from 'zod';
import { type Filters, matches } from './filters.ts';

/** A stream client: the tenants its token may read (`*` for all) and filters always applied. */
export interface StreamClient {
  readonly id: string;
  readonly token: string;
  readonly tenants: readonly string[];
  readonly filters?: Filters;
}

const list = z.array(z.string().min(1).max(512)).min(1).optional();
export const streamClientsSchema = z.array(
  z.strictObject({
    id: z.string().min(1, 'each client needs an id (used in logs and metrics)'),
    token: z.string().min(16, 'tokens are at least 16 characters'),
    tenants: z.array(z.string().min(1)).min(1, 'list the tenants the token may read, or ["*"]'),
    filters: z
      .strictObject({ action: list, category: list, actor: list, target: list, outcome: list })
      .optional(),
  }),
);

export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Bearer-token check in constant time per token (hashes first, so lengths never leak). */
export function authenticator(clients: readonly StreamClient[]) {
  const tokens = clients.map((c) => ({ client: c, hash: digest(c.token) }));
  return (authorization: string | undefined): StreamClient => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match?.[1]) throw new AuthError(401, 'send Authorization: Bearer <token>');
    const given = digest(match[1]);
    let found: StreamClient | undefined;
    for (const t of tokens) if (timingSafeEqual(t.hash, given)) found = t.client;
    if (!found) throw new AuthError(401, 'unknown token');
    return found;
  };
}

/**
 * What a client may see: its requested filters, narrowed to its tenants (403 when it asks for a
 * tenant outside them), and its forced filters on top.
 */
export interface Scope {
  readonly requested: Filters;
  readonly forced: Filters;
}

export function scopeFor(client: StreamClient, requested: Filters): Scope {
  const all = client.tenants.includes('*');
  if (!all) {
    const outside = (requested.tenant_id ?? []).filter((t) => !client.tenants.includes(t));
    if (outside.length > 0) throw new AuthError(403, `the token may not read tenant ${outside.join(', ')}`);
  }
  const forced: Filters = { ...(client.filters ?? {}), ...(all ? {} : { tenant_id: client.tenants }) };
  return { requested, forced };
}

export const inScope = (scope: Scope, event: AuditEventJson): boolean =>
  matches(scope.forced, event) && matches(scope.requested, event);
