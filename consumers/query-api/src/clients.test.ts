import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QUERY_CLIENTS_FILE_ENV, queryClientsFromEnv } from './clients.ts';

const dir = mkdtempSync(join(tmpdir(), 'query-clients-'));
const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('query API clients', () => {
  it('reads the local token and the clients file', () => {
    const clients = queryClientsFromEnv({
      AUDITFLOW_QUERY_TOKEN: 'tok_local_0123456789',
      [QUERY_CLIENTS_FILE_ENV]: file(
        'ok.json',
        JSON.stringify([{ id: 'acme-analyst', token: 'tok_acme_0123456789', tenants: ['acme'] }]),
      ),
    });
    expect(clients).toEqual([
      { id: 'local', token: 'tok_local_0123456789', tenants: ['*'] },
      { id: 'acme-analyst', token: 'tok_acme_0123456789', tenants: ['acme'] },
    ]);
  });

  it('refuses a bad clients file at start, naming the setting, the client and the rule', () => {
    const bad = (name: string, clients: unknown) => () =>
      queryClientsFromEnv({ [QUERY_CLIENTS_FILE_ENV]: file(name, JSON.stringify(clients)) });
    expect(bad('short.json', [{ id: 'a', token: 'short', tenants: ['acme'] }])).toThrow(
      `${QUERY_CLIENTS_FILE_ENV} client 0.token: tokens must be at least 16 characters`,
    );
    expect(bad('typo.json', [{ id: 'a', token: 'tok_0123456789abcdef', tenant: ['acme'] }])).toThrow(
      /client 0.*tenant/,
    );
    expect(bad('tenant.json', [{ id: 'a', token: 'tok_0123456789abcdef', tenants: ['Not Valid'] }])).toThrow(
      `${QUERY_CLIENTS_FILE_ENV} client 0.tenants.0`,
    );
    expect(bad('none.json', [{ id: 'a', token: 'tok_0123456789abcdef', tenants: [] }])).toThrow(
      'client 0.tenants',
    );
    expect(
      bad('dup.json', [
        { id: 'a', token: 'tok_0123456789abcdef', tenants: ['acme'] },
        { id: 'a', token: 'tok_0123456789abcdef', tenants: ['acme'] },
      ]),
    ).toThrow(/client 1.id: duplicate id a.*client 1.token: the same token/);
    expect(bad('object.json', { id: 'a' })).toThrow('a JSON array');
    const secret = 'tok_secret_never_logged_0123';
    expect(
      bad('dup-secret.json', [
        { id: 'a', token: secret, tenants: ['acme'] },
        { id: 'b', token: secret, tenants: ['acme'] },
      ]),
    ).not.toThrow(secret);
  });

  it('refuses an unreadable file and no clients at all', () => {
    expect(() => queryClientsFromEnv({ [QUERY_CLIENTS_FILE_ENV]: file('broken.json', '[{"id": ') })).toThrow(
      `${QUERY_CLIENTS_FILE_ENV}=`,
    );
    expect(() => queryClientsFromEnv({})).toThrow('no query clients');
  });
});
