import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export interface GatewayClient {
  readonly id: string;
  readonly token?: string | undefined;
  readonly hmacSecret?: string | undefined;
  /** Tenants this client may write; empty means any. */
  readonly tenants: readonly string[];
  readonly eventsPerSecond: number;
  readonly burst: number;
}

export type AuthMethod = 'bearer' | 'hmac';

/** The request's signature, checked once the body is read. */
export interface PendingSignature {
  readonly timestamp: string;
  readonly nonce: string;
  readonly signature: string;
}

export type AuthFailure = {
  readonly ok: false;
  readonly method: AuthMethod | 'none';
  /** The client id, only when it names a configured client (never attacker-chosen text). */
  readonly clientId?: string;
  /** A fixed sentence (no request content), so failures aggregate by it. */
  readonly reason: string;
  /** Set when the gateway cannot take more signed requests right now (answer 503). */
  readonly retryAfterS?: number;
};

export type AuthResult =
  | {
      readonly ok: true;
      readonly client: GatewayClient;
      readonly method: AuthMethod;
      /** HMAC: what verifySignature() checks against the body. */
      readonly pending?: PendingSignature;
    }
  | AuthFailure;

/** The credential headers, read before the body. */
export interface AuthHeaders {
  readonly authorization?: string | undefined;
  readonly clientId?: string | undefined;
  readonly timestamp?: string | undefined;
  readonly nonce?: string | undefined;
  readonly signature?: string | undefined;
}

/** 16-128 URL-safe characters: a random value per request (e.g. a UUID or 16 random bytes, hex). */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
const SIGNATURE_PATTERN = /^v1=[0-9a-f]{64}$/;
const TIMESTAMP_PATTERN = /^\d{1,12}$/;

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

export interface AuthenticatorOptions {
  /** Signed requests are valid this many seconds either side of their timestamp. */
  readonly windowSeconds?: number;
  /** Nonces remembered at most (each for 2 × the window); beyond it signed requests get 503. */
  readonly replayCacheSize?: number;
  readonly now?: () => number;
}

/**
 * Verifies bearer tokens and HMAC-signed bodies, in constant time, against known clients. Two
 * steps, so nothing is read from an unauthenticated client: identify() checks the headers
 * (bearer tokens completely; for HMAC the client, the timestamp window and that the nonce is
 * fresh), verifySignature() checks the signature over the body and remembers the nonce.
 */
export class Authenticator {
  private readonly byTokenHash = new Map<string, GatewayClient>();
  private readonly byId = new Map<string, GatewayClient>();
  private readonly windowSeconds: number;
  private readonly now: () => number;
  private readonly replayCacheSize: number;
  /** Nonces of verified requests: a timestamp is valid for 2 × the window of wall time. */
  private readonly seen: LRUCache<string, true>;

  constructor(clients: readonly GatewayClient[], options: AuthenticatorOptions = {}) {
    this.windowSeconds = options.windowSeconds ?? 300;
    this.now = options.now ?? Date.now;
    this.replayCacheSize = options.replayCacheSize ?? 100_000;
    const now = this.now;
    this.seen = new LRUCache<string, true>({
      max: this.replayCacheSize,
      ttl: 2 * this.windowSeconds * 1000,
      perf: { now },
      // Read the clock on every check (lru-cache otherwise caches it for a millisecond of real time).
      ttlResolution: 0,
    });
    for (const client of clients) {
      this.byId.set(client.id, client);
      if (client.token) this.byTokenHash.set(sha256(client.token).toString('hex'), client);
    }
  }

  /** Step 1, before the body is read. */
  identify(headers: AuthHeaders): AuthResult {
    if (headers.signature !== undefined || headers.clientId !== undefined) return this.identifyHmac(headers);
    const header = headers.authorization;
    if (!header) return { ok: false, method: 'none', reason: 'no credentials' };
    const match = /^Bearer\s{1,16}(\S{1,4096})$/i.exec(header);
    if (!match?.[1]) return { ok: false, method: 'bearer', reason: 'malformed Authorization header' };
    // Looking up by the token's hash keeps the comparison independent of the token's bytes.
    const client = this.byTokenHash.get(sha256(match[1]).toString('hex'));
    if (!client) return { ok: false, method: 'bearer', reason: 'unknown token' };
    return { ok: true, client, method: 'bearer' };
  }

  /** Step 2, with the body: the HMAC signature (bearer results pass through). */
  verifySignature(identified: AuthResult, body: Buffer): AuthResult {
    if (!identified.ok || !identified.pending) return identified;
    const { client, pending } = identified;
    const expected = Buffer.from(
      signBody(client.hmacSecret as string, pending.timestamp, pending.nonce, body),
    );
    const given = Buffer.from(pending.signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, method: 'hmac', clientId: client.id, reason: 'signature mismatch' };
    }
    const key = `${client.id}\n${pending.nonce}`;
    // Checked again: a concurrent request with the same nonce may have been verified meanwhile.
    if (this.seen.has(key)) return replayed(client.id);
    this.seen.set(key, true);
    return identified;
  }

  private identifyHmac(headers: AuthHeaders): AuthResult {
    const client = headers.clientId ? this.byId.get(headers.clientId) : undefined;
    if (!client?.hmacSecret) return { ok: false, method: 'hmac', reason: 'unknown client or no HMAC secret' };
    const clientId = client.id;
    const { timestamp, nonce, signature } = headers;
    if (!timestamp || !TIMESTAMP_PATTERN.test(timestamp)) {
      return { ok: false, method: 'hmac', clientId, reason: 'missing or malformed X-Auditflow-Timestamp' };
    }
    if (Math.abs(this.now() / 1000 - Number(timestamp)) > this.windowSeconds) {
      return {
        ok: false,
        method: 'hmac',
        clientId,
        reason: `timestamp outside the ${this.windowSeconds}s window`,
      };
    }
    if (!nonce || !NONCE_PATTERN.test(nonce)) {
      return { ok: false, method: 'hmac', clientId, reason: 'missing or malformed X-Auditflow-Nonce' };
    }
    if (!signature || !SIGNATURE_PATTERN.test(signature)) {
      return { ok: false, method: 'hmac', clientId, reason: 'missing or malformed X-Auditflow-Signature' };
    }
    if (this.seen.has(`${clientId}\n${nonce}`)) return replayed(clientId);
    if (this.seen.size >= this.replayCacheSize) {
      this.seen.purgeStale();
      // Full of live nonces: evicting one would let its request be replayed, so refuse instead.
      if (this.seen.size >= this.replayCacheSize) {
        return { ok: false, method: 'hmac', clientId, reason: 'replay cache full', retryAfterS: 5 };
      }
    }
    return { ok: true, client, method: 'hmac', pending: { timestamp, nonce, signature } };
  }
}

const replayed = (clientId: string): AuthFailure => ({
  ok: false,
  method: 'hmac',
  clientId,
  reason: 'nonce already used (replayed request)',
});

/**
 * What a client sends as `X-Auditflow-Signature`: `v1=<hex HMAC-SHA256(secret,
 * "<timestamp>.<nonce>.<raw body>")>`, with the same timestamp and nonce in their headers.
 */
export function signBody(secret: string, timestamp: string, nonce: string, body: Buffer): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${nonce}.`).update(body).digest('hex')}`;
}
