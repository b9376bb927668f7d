import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

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

export type AuthResult =
  | { readonly ok: true; readonly client: GatewayClient; readonly method: AuthMethod }
  | {
      readonly ok: false;
      readonly method: AuthMethod | 'none';
      readonly clientId?: string;
      readonly reason: string;
    };

export interface AuthRequest {
  readonly authorization?: string | undefined;
  readonly clientId?: string | undefined;
  readonly timestamp?: string | undefined;
  readonly signature?: string | undefined;
  readonly body: Buffer;
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Verifies bearer tokens and HMAC-signed bodies, in constant time, against known clients. */
export class Authenticator {
  private readonly byTokenHash = new Map<string, GatewayClient>();
  private readonly byId = new Map<string, GatewayClient>();

  constructor(
    clients: readonly GatewayClient[],
    private readonly windowSeconds = 300,
    private readonly now: () => number = Date.now,
  ) {
    for (const client of clients) {
      this.byId.set(client.id, client);
      if (client.token) this.byTokenHash.set(sha256(client.token).toString('hex'), client);
    }
  }

  authenticate(request: AuthRequest): AuthResult {
    if (request.signature !== undefined || request.clientId !== undefined) return this.hmac(request);
    const header = request.authorization;
    if (!header) return { ok: false, method: 'none', reason: 'no credentials' };
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) return { ok: false, method: 'bearer', reason: 'malformed Authorization header' };
    // Looking up by the token's hash keeps the comparison independent of the token's bytes.
    const client = this.byTokenHash.get(sha256(match[1]).toString('hex'));
    if (!client) return { ok: false, method: 'bearer', reason: 'unknown token' };
    return { ok: true, client, method: 'bearer' };
  }

  private hmac(request: AuthRequest): AuthResult {
    const clientId = request.clientId;
    const client = clientId ? this.byId.get(clientId) : undefined;
    if (!client?.hmacSecret)
      return { ok: false, method: 'hmac', clientId, reason: 'unknown client or no HMAC secret' };
    const timestamp = Number(request.timestamp);
    if (!request.timestamp || !Number.isInteger(timestamp)) {
      return { ok: false, method: 'hmac', clientId, reason: 'missing or malformed X-Auditflow-Timestamp' };
    }
    const skew = Math.abs(this.now() / 1000 - timestamp);
    if (skew > this.windowSeconds) {
      return {
        ok: false,
        method: 'hmac',
        clientId,
        reason: `timestamp outside the ${this.windowSeconds}s window`,
      };
    }
    const expected = signBody(client.hmacSecret, request.timestamp, request.body);
    const given = Buffer.from(request.signature ?? '');
    const wanted = Buffer.from(expected);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      return { ok: false, method: 'hmac', clientId, reason: 'signature mismatch' };
    }
    return { ok: true, client, method: 'hmac' };
  }
}

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: what a client sends. */
export function signBody(secret: string, timestamp: string, body: Buffer): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}
