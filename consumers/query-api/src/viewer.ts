import { hkdfSync, randomUUID } from 'node:crypto';
import { parseDuration, TENANT_ID_PATTERN, TENANT_ID_RULE } from '@auditflow/schemas';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { invalidParameter, QueryError } from './query.ts';

/** Environment variable holding the key viewer tokens are signed with (at least 32 characters). */
export const VIEWER_KEY_ENV = 'AUDITFLOW_VIEWER_KEY';
/** The longest life a viewer token may be given: they are for one embedded session, not for keeps. */
export const VIEWER_TTL_MAX_MS = 24 * 3_600_000;
export const VIEWER_TTL_DEFAULT = '15m';
/** The name operators are shown under to tenant viewers (issue 17). */
export const ADMINISTRATOR = 'an administrator';

const ISSUER = 'auditflow-query-api';
const AUDIENCE = 'auditflow-console';
const ALGORITHM = 'HS256';
/** HKDF label: a key derived from the query token signs viewer tokens only, never anything else. */
const DERIVATION_INFO = 'auditflow viewer-token signing key v1';
const MIN_KEY_CHARS = 32;

/** What a viewer token lets its bearer read: one tenant, optionally one actor's events. */
export interface ViewerScope {
  /** Who is looking (the host product's user), recorded in the audit of every read. */
  readonly subject: string;
  readonly tenant: string;
  readonly actor?: string;
  /** The query client that minted the token. */
  readonly issuedBy: string;
  readonly tokenId: string;
  readonly expiresAt: string;
}

/** The body of `POST /v1/viewer-tokens` (and the CLI's options). */
export const viewerRequestSchema = z.strictObject({
  tenant: z.string().regex(TENANT_ID_PATTERN, TENANT_ID_RULE),
  actor: z.string().min(1).max(256).optional(),
  /** Who will look: the host product's user id; recorded in the audit of every read. */
  viewer: z.string().min(1).max(256).optional(),
  ttl: z
    .string()
    .default(VIEWER_TTL_DEFAULT)
    .refine((t) => {
      const ms = parseDuration(t);
      return ms !== undefined && ms > 0 && ms <= VIEWER_TTL_MAX_MS;
    }, 'a duration like 15m or 1h, at most 24h'),
});
export type ViewerRequest = z.input<typeof viewerRequestSchema>;

/**
 * The signing key from the configuration: `AUDITFLOW_VIEWER_KEY` when set (validated: at least
 * 32 characters), else one derived (HKDF-SHA256) from `AUDITFLOW_QUERY_TOKEN` so the local stack
 * has viewer tokens without another secret; undefined when neither is set (viewer tokens off).
 */
export function viewerKeyFromEnv(env: NodeJS.ProcessEnv = process.env): Uint8Array | undefined {
  const explicit = env[VIEWER_KEY_ENV];
  if (explicit !== undefined && explicit !== '') {
    if (explicit.length < MIN_KEY_CHARS)
      throw new Error(`${VIEWER_KEY_ENV}: at least ${MIN_KEY_CHARS} characters (a random secret)`);
    return new TextEncoder().encode(explicit);
  }
  const queryToken = env.AUDITFLOW_QUERY_TOKEN;
  if (!queryToken) return undefined;
  return new Uint8Array(hkdfSync('sha256', queryToken, ISSUER, DERIVATION_INFO, 32));
}

/** A compact JWS has three base64url parts; query client tokens never contain a dot. */
export const looksLikeViewerToken = (token: string): boolean => token.split('.').length === 3;

/** Signs and checks viewer tokens (HS256 JWTs: short-lived, scoped to a tenant and maybe an actor). */
export class ViewerTokens {
  constructor(
    private readonly key: Uint8Array,
    private readonly now: () => number = Date.now,
  ) {}

  async issue(request: ViewerRequest, issuedBy: string): Promise<{ token: string; scope: ViewerScope }> {
    const parsed = viewerRequestSchema.safeParse(request);
    if (!parsed.success) throw invalidParameter(parsed.error, 'field');
    const { tenant, actor, viewer, ttl } = parsed.data;
    const nowSeconds = Math.floor(this.now() / 1000);
    const exp = nowSeconds + Math.floor((parseDuration(ttl) ?? 0) / 1000);
    const tokenId = randomUUID();
    const subject = viewer ?? `${issuedBy}/viewer`;
    const token = await new SignJWT({ tenant, ...(actor ? { actor } : {}), by: issuedBy })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(subject)
      .setJti(tokenId)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(exp)
      .sign(this.key);
    return {
      token,
      scope: {
        subject,
        tenant,
        ...(actor ? { actor } : {}),
        issuedBy,
        tokenId,
        expiresAt: new Date(exp * 1000).toISOString(),
      },
    };
  }

  /** The scope of a valid token; a 401 naming why for an expired, forged or malformed one. */
  async verify(token: string): Promise<ViewerScope> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: [ALGORITHM],
        requiredClaims: ['exp', 'sub', 'jti'],
        currentDate: new Date(this.now()),
      });
      const claims = z
        .object({ tenant: z.string().regex(TENANT_ID_PATTERN), actor: z.string().optional(), by: z.string() })
        .parse(payload);
      return {
        subject: payload.sub as string,
        tenant: claims.tenant,
        ...(claims.actor ? { actor: claims.actor } : {}),
        issuedBy: claims.by,
        tokenId: payload.jti as string,
        expiresAt: new Date((payload.exp as number) * 1000).toISOString(),
      };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired)
        throw new QueryError(401, 'token_expired', 'the viewer token has expired; ask for a new one');
      throw new QueryError(401, 'unauthorized', 'invalid viewer token');
    }
  }
}
