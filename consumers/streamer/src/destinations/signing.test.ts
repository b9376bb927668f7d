import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from './signing.ts';

const body = '[{"id":"e1"}]';
const now = 1_760_000_000;

describe('webhook signatures', () => {
  it('is HMAC-SHA256 hex over timestamp.nonce.body', () => {
    const expected = createHmac('sha256', 'secret-one-0123456789').update(`${now}.n-1.${body}`).digest('hex');
    expect(signatureHeader(['secret-one-0123456789'], now, 'n-1', body)).toBe(`v1=${expected}`);
  });

  it('carries one signature per active secret, so either side of a rotation verifies', () => {
    const header = signatureHeader(['new-secret-0123456789', 'old-secret-0123456789'], now, 'n', body);
    expect(header.split(',')).toHaveLength(2);
    for (const secret of ['new-secret-0123456789', 'old-secret-0123456789'])
      expect(
        verifySignature({ secret, header, timestamp: String(now), nonce: 'n', body, nowSeconds: now }),
      ).toBe(true);
    expect(
      verifySignature({
        secret: 'third-secret-0123456789',
        header,
        timestamp: String(now),
        nonce: 'n',
        body,
        nowSeconds: now,
      }),
    ).toBe(false);
  });

  it('fails on a changed body, nonce or timestamp, and on a stale timestamp', () => {
    const secret = 'secret-one-0123456789';
    const header = signatureHeader([secret], now, 'n', body);
    const base = { secret, header, timestamp: String(now), nonce: 'n', body, nowSeconds: now };
    expect(verifySignature(base)).toBe(true);
    expect(verifySignature({ ...base, body: '[{"id":"e2"}]' })).toBe(false);
    expect(verifySignature({ ...base, nonce: 'm' })).toBe(false);
    expect(verifySignature({ ...base, timestamp: String(now + 1), nowSeconds: now + 1 })).toBe(false);
    expect(verifySignature({ ...base, nowSeconds: now + 301 })).toBe(false);
    expect(verifySignature({ ...base, header: 'v1=zz' })).toBe(false);
  });
});
