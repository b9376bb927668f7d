import { readFileSync } from 'node:fs';
import { TENANT_ID_PATTERN, TENANT_ID_RULE } from '@auditflow/schemas';
import { z } from 'zod';
import type { QueryClient } from './server.ts';

export const QUERY_TOKEN_ENV = 'AUDITFLOW_QUERY_TOKEN';
export const QUERY_CLIENTS_FILE_ENV = 'AUDITFLOW_QUERY_CLIENTS_FILE';

const clientSchema = z.strictObject({
  id: z.string().min(1, 'a client needs an id'),
  token: z.string().min(16, 'tokens must be at least 16 characters'),
  /** Tenants the client may read; `*` for all. */
  tenants: z
    .array(
      z
        .string()
        .refine((t) => t === '*' || TENANT_ID_PATTERN.test(t), `'*' or a tenant id: ${TENANT_ID_RULE}`),
    )
    .min(1, 'list the tenants the client may read, or ["*"] for all'),
});

const clientsSchema = z
  .array(clientSchema)
  .min(1, `no query clients: set ${QUERY_TOKEN_ENV} or ${QUERY_CLIENTS_FILE_ENV}`)
  .superRefine((clients, ctx) => {
    const seen = { id: new Set<string>(), token: new Set<string>() };
    clients.forEach((c, i) => {
      if (seen.id.has(c.id))
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate id ${c.id}` });
      // Never the token itself in the message: it is a secret.
      if (seen.token.has(c.token))
        ctx.addIssue({ code: 'custom', path: [i, 'token'], message: 'the same token as an earlier client' });
      if (c.token.includes('.'))
        ctx.addIssue({
          code: 'custom',
          path: [i, 'token'],
          message: 'no dots: viewer tokens are told apart by them',
        });
      seen.id.add(c.id);
      seen.token.add(c.token);
    });
  });

/**
 * The query API's clients, validated once at start like the gateway's (issue 19): the local
 * token (`AUDITFLOW_QUERY_TOKEN`, all tenants) and the clients file (`AUDITFLOW_QUERY_CLIENTS_FILE`,
 * a JSON array of `{id, token, tenants}`). Errors name the setting, the client and the rule.
 */
export function queryClientsFromEnv(env: NodeJS.ProcessEnv = process.env): QueryClient[] {
  const clients: unknown[] = [];
  const local = env[QUERY_TOKEN_ENV];
  if (local) clients.push({ id: 'local', token: local, tenants: ['*'] });
  const file = env[QUERY_CLIENTS_FILE_ENV];
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(
        `${QUERY_CLIENTS_FILE_ENV}=${file}: not a readable JSON file (${(err as Error).message})`,
      );
    }
    if (!Array.isArray(parsed))
      throw new Error(`${QUERY_CLIENTS_FILE_ENV}=${file}: a JSON array of {id, token, tenants} clients`);
    clients.push(...parsed);
  }
  const result = clientsSchema.safeParse(clients);
  if (!result.success) {
    const where = (path: PropertyKey[]): string => {
      const [index, ...rest] = path;
      if (typeof index !== 'number') return '(clients)';
      const source =
        local && index === 0
          ? QUERY_TOKEN_ENV
          : `${QUERY_CLIENTS_FILE_ENV} client ${local ? index - 1 : index}`;
      return [source, ...rest].join('.');
    };
    const lines = result.error.issues.map((i) => `${where(i.path)}: ${i.message}`);
    throw new Error(`invalid query API clients: ${lines.join('; ')}`);
  }
  return result.data;
}
