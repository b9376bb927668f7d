import { describe, expect, it } from 'vitest';
import { QueryError } from './query.ts';
import { looksLikeViewerToken, VIEWER_KEY_ENV, ViewerTokens, viewerKeyFromEnv } from './viewer.ts';

const key = new TextEncoder().encode('k'.repeat(32));
const at = Date.parse('2026-12-06T10:00:00Z');

async function refusal(promise: Promise<unknown>): Promise<QueryError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(QueryError);
  return err as QueryError;
}

describe('viewer tokens', () => {
  it('carry the tenant, the actor, the viewer and who minted them, for their ttl', async () => {
    const tokens = new ViewerTokens(key, () => at);
    const { token, scope } = await tokens.issue(
      { tenant: 'acme', actor: 'alice', viewer: 'host-user-7', ttl: '10m' },
      'host-product',
    );
    expect(looksLikeViewerToken(token)).toBe(true);
    expect(scope).toMatchObject({
      tenant: 'acme',
      actor: 'alice',
      subject: 'host-user-7',
      issuedBy: 'host-product',
    });
    expect(scope.expiresAt).toBe('2026-12-06T10:10:00.000Z');
    expect(await tokens.verify(token)).toEqual(scope);
  });

  it('default to 15 minutes and a subject naming the issuer', async () => {
    const { scope } = await new ViewerTokens(key, () => at).issue({ tenant: 'acme' }, 'local');
    expect(scope.expiresAt).toBe('2026-12-06T10:15:00.000Z');
    expect(scope.subject).toBe('local/viewer');
    expect(scope.actor).toBeUndefined();
  });

  it('are refused once expired, when signed with another key, or altered', async () => {
    const { token } = await new ViewerTokens(key, () => at).issue({ tenant: 'acme', ttl: '1m' }, 'c');
    expect((await refusal(new ViewerTokens(key, () => at + 61_000).verify(token))).code).toBe(
      'token_expired',
    );
    const other = new ViewerTokens(new TextEncoder().encode('o'.repeat(32)), () => at);
    expect((await refusal(other.verify(token))).code).toBe('unauthorized');
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, tenant: 'globex' })).toString('base64url');
    const tokens = new ViewerTokens(key, () => at);
    expect((await refusal(tokens.verify(`${header}.${forged}.${signature}`))).status).toBe(401);
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect((await refusal(tokens.verify(`${none}.${payload}.`))).status).toBe(401);
  });

  it('refuse a bad request: tenant pattern, ttl beyond 24h, unknown fields', async () => {
    const tokens = new ViewerTokens(key, () => at);
    expect((await refusal(tokens.issue({ tenant: 'Not Valid' }, 'c'))).message).toMatch(/^tenant:/);
    expect((await refusal(tokens.issue({ tenant: 'acme', ttl: '25h' }, 'c'))).message).toMatch(/ttl: .*24h/);
    expect((await refusal(tokens.issue({ tenant: 'acme', ttl: 'soon' }, 'c'))).message).toMatch(/^ttl:/);
    expect((await refusal(tokens.issue({ tenant: 'acme', scope: 'all' } as never, 'c'))).message).toMatch(
      'unknown field scope',
    );
  });

  it('take their key from the configuration, validated at start', () => {
    expect(viewerKeyFromEnv({})).toBeUndefined();
    expect(() => viewerKeyFromEnv({ [VIEWER_KEY_ENV]: 'short' })).toThrow(`${VIEWER_KEY_ENV}: at least 32`);
    expect(viewerKeyFromEnv({ [VIEWER_KEY_ENV]: 'x'.repeat(40) })).toHaveLength(40);
    const derived = viewerKeyFromEnv({ AUDITFLOW_QUERY_TOKEN: 'tok_local_0123456789' });
    expect(derived).toHaveLength(32);
    // Derived, never the query token itself.
    expect(Buffer.from(derived as Uint8Array).toString()).not.toContain('tok_local');
  });
});
