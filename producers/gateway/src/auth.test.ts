import { describe, expect, it } from 'vitest';
import { Authenticator, signBody } from './auth.ts';

const client = {
  id: 'ci',
  token: 'tok_0123456789abcdef',
  hmacSecret: 'sec_0123456789abcdef',
  tenants: [],
  eventsPerSecond: 10,
  burst: 10,
};
const now = 1_800_000_000_000;
const auth = new Authenticator([client], 300, () => now);
const body = Buffer.from('{"a":1}');
const ts = String(now / 1000);

describe('Authenticator', () => {
  it('accepts a known bearer token and rejects others with a reason', () => {
    expect(auth.authenticate({ authorization: `Bearer ${client.token}`, body })).toMatchObject({
      ok: true,
      method: 'bearer',
    });
    expect(auth.authenticate({ authorization: 'Bearer nope', body })).toMatchObject({
      ok: false,
      reason: 'unknown token',
    });
    expect(auth.authenticate({ authorization: 'Basic abc', body })).toMatchObject({
      ok: false,
      reason: /malformed/,
    });
    expect(auth.authenticate({ body })).toMatchObject({ ok: false, method: 'none' });
  });

  it('accepts a body signed within the window', () => {
    const signature = signBody(client.hmacSecret, ts, body);
    expect(auth.authenticate({ clientId: 'ci', timestamp: ts, signature, body })).toMatchObject({
      ok: true,
      method: 'hmac',
    });
  });

  it('refuses a changed body, a wrong secret and a replay outside the window', () => {
    const signature = signBody(client.hmacSecret, ts, body);
    expect(
      auth.authenticate({ clientId: 'ci', timestamp: ts, signature, body: Buffer.from('{"a":2}') }),
    ).toMatchObject({
      ok: false,
      reason: 'signature mismatch',
    });
    expect(
      auth.authenticate({
        clientId: 'ci',
        timestamp: ts,
        signature: signBody('other-secret-123456', ts, body),
        body,
      }),
    ).toMatchObject({ ok: false });
    const old = String(now / 1000 - 301);
    expect(
      auth.authenticate({
        clientId: 'ci',
        timestamp: old,
        signature: signBody(client.hmacSecret, old, body),
        body,
      }),
    ).toMatchObject({
      ok: false,
      reason: /window/,
    });
    expect(auth.authenticate({ clientId: 'ghost', timestamp: ts, signature: 'v1=00', body })).toMatchObject({
      ok: false,
    });
  });
});
