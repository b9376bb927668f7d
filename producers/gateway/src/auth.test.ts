import { describe, expect, it } from 'vitest';
import { Authenticator, type AuthHeaders, signBody } from './auth.ts';

const client = {
  id: 'ci',
  token: 'tok_0123456789abcdef',
  hmacSecret: 'sec_0123456789abcdef',
  tenants: [],
  eventsPerSecond: 10,
  burst: 10,
};
const body = Buffer.from('{"a":1}');

function setup(options: { replayCacheSize?: number } = {}) {
  const clock = { now: 1_800_000_000_000 };
  const auth = new Authenticator([client], { windowSeconds: 300, now: () => clock.now, ...options });
  let n = 0;
  const signed = (overrides: Partial<AuthHeaders> = {}, payload = body): AuthHeaders => {
    const timestamp = overrides.timestamp ?? String(Math.floor(clock.now / 1000));
    const nonce = overrides.nonce ?? `nonce-${String(n++).padStart(12, '0')}`;
    return {
      clientId: 'ci',
      timestamp,
      nonce,
      signature: signBody(client.hmacSecret, timestamp, nonce, payload),
      ...overrides,
    };
  };
  /** Both steps, as the server runs them. */
  const check = (headers: AuthHeaders, payload = body) =>
    auth.verifySignature(auth.identify(headers), payload);
  return { auth, clock, signed, check };
}

describe('Authenticator', () => {
  it('accepts a known bearer token from the headers alone and rejects others with a reason', () => {
    const { auth } = setup();
    expect(auth.identify({ authorization: `Bearer ${client.token}` })).toMatchObject({
      ok: true,
      method: 'bearer',
    });
    expect(auth.identify({ authorization: 'Bearer nope' })).toMatchObject({
      ok: false,
      reason: 'unknown token',
    });
    expect(auth.identify({ authorization: 'Basic abc' })).toMatchObject({ ok: false, reason: /malformed/ });
    expect(auth.identify({})).toMatchObject({ ok: false, method: 'none', reason: 'no credentials' });
  });

  it('accepts a body signed with timestamp and nonce within the window', () => {
    const { check, signed } = setup();
    expect(check(signed())).toMatchObject({ ok: true, method: 'hmac' });
  });

  it('refuses a replayed signature inside the window, and keeps accepting fresh nonces', () => {
    const { check, signed, clock } = setup();
    const headers = signed();
    expect(check(headers)).toMatchObject({ ok: true });
    expect(check(headers)).toMatchObject({ ok: false, clientId: 'ci', reason: /nonce already used/ });
    clock.now += 299_000;
    expect(check(headers)).toMatchObject({ ok: false, reason: /nonce already used/ });
    expect(check(signed())).toMatchObject({ ok: true });
  });

  it('signs timestamp and nonce: changing either breaks the signature', () => {
    const { check, signed } = setup();
    const headers = signed();
    expect(check({ ...headers, nonce: 'another-nonce-00000001' })).toMatchObject({
      reason: 'signature mismatch',
    });
    expect(check({ ...headers, timestamp: String(Number(headers.timestamp) - 1) })).toMatchObject({
      reason: 'signature mismatch',
    });
  });

  it('does not let a failed signature burn the nonce', () => {
    const { check, signed } = setup();
    const headers = signed();
    expect(check(headers, Buffer.from('{"a":2}'))).toMatchObject({ ok: false, reason: 'signature mismatch' });
    expect(check(headers)).toMatchObject({ ok: true });
  });

  it('refuses a changed body, a wrong secret, a stale timestamp and missing parts, by reason', () => {
    const { check, signed, clock } = setup();
    expect(check(signed(), Buffer.from('{"a":2}'))).toMatchObject({
      ok: false,
      reason: 'signature mismatch',
    });
    const ts = String(Math.floor(clock.now / 1000));
    const nonce = 'n'.repeat(16);
    expect(
      check({
        ...signed(),
        signature: signBody('other-secret-123456', ts, nonce, body),
        nonce,
        timestamp: ts,
      }),
    ).toMatchObject({
      ok: false,
      reason: 'signature mismatch',
    });
    expect(check(signed({ timestamp: String(Math.floor(clock.now / 1000) - 301) }))).toMatchObject({
      ok: false,
      reason: /window/,
    });
    expect(check(signed({ nonce: undefined as unknown as string }))).toMatchObject({ ok: false });
    expect(check({ ...signed(), nonce: undefined })).toMatchObject({ reason: /X-Auditflow-Nonce/ });
    expect(check({ ...signed(), nonce: 'short' })).toMatchObject({ reason: /X-Auditflow-Nonce/ });
    expect(check({ ...signed(), nonce: `${'x'.repeat(20)} y` })).toMatchObject({
      reason: /X-Auditflow-Nonce/,
    });
    expect(check({ ...signed(), signature: 'v1=00' })).toMatchObject({ reason: /X-Auditflow-Signature/ });
    expect(check({ ...signed(), timestamp: '1e9' })).toMatchObject({ reason: /X-Auditflow-Timestamp/ });
  });

  it('names only configured clients: an unknown client id is not echoed back', () => {
    const { check, signed } = setup();
    const result = check(signed({ clientId: 'ghost\u001b[31m' }));
    expect(result).toMatchObject({ ok: false, reason: 'unknown client or no HMAC secret' });
    expect(result).not.toHaveProperty('clientId');
  });

  it('forgets nonces after twice the window, and refuses (503) instead of evicting when full', () => {
    const { check, signed, clock } = setup({ replayCacheSize: 2 });
    expect(check(signed())).toMatchObject({ ok: true });
    expect(check(signed())).toMatchObject({ ok: true });
    expect(check(signed())).toMatchObject({ ok: false, reason: 'replay cache full', retryAfterS: 5 });
    clock.now += 600_001;
    expect(check(signed())).toMatchObject({ ok: true });
  });
});
