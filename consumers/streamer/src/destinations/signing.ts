import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures (L4). The signed content is `${timestamp}.${nonce}.${body}`: the
 * timestamp (Unix seconds) lets a receiver refuse stale requests, the nonce (the delivery id,
 * the same on every retry of one batch) lets it refuse replays and drop a batch it already
 * took, and the body is the exact bytes sent. `X-Auditflow-Signature` holds one `v1=<hex>` per
 * active secret, comma-separated, so a receiver holding either the old or the new secret
 * accepts the request during a rotation.
 */
export const SIGNATURE_SCHEME = 'v1';

export function signedContent(timestamp: number, nonce: string, body: string): string {
  return `${timestamp}.${nonce}.${body}`;
}

export function signature(secret: string, timestamp: number, nonce: string, body: string): string {
  return createHmac('sha256', secret)
    .update(signedContent(timestamp, nonce, body))
    .digest('hex');
}

/** The `X-Auditflow-Signature` value: `v1=<hex>` per secret, in the order given. */
export function signatureHeader(
  secrets: readonly string[],
  timestamp: number,
  nonce: string,
  body: string,
): string {
  return secrets.map((s) => `${SIGNATURE_SCHEME}=${signature(s, timestamp, nonce, body)}`).join(',');
}

/**
 * What a receiver does (and what our tests do): true when any `v1=` signature in the header
 * matches the secret and the timestamp is within `toleranceSeconds` of `now`.
 */
export function verifySignature(options: {
  secret: string;
  header: string;
  timestamp: string;
  nonce: string;
  body: string;
  toleranceSeconds?: number;
  nowSeconds?: number;
}): boolean {
  const ts = Number(options.timestamp);
  if (!/^\d{1,12}$/.test(options.timestamp)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signature(options.secret, ts, options.nonce, options.body), 'hex');
  return options.header.split(',').some((part) => {
    const [scheme, hex] = part.trim().split('=', 2);
    if (scheme !== SIGNATURE_SCHEME || !hex || !/^[0-9a-f]{64}$/.test(hex)) return false;
    return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
  });
}
