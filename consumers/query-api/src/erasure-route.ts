import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditProducer } from '@auditflow/producer';
import { TENANT_ID_PATTERN, TENANT_ID_RULE } from '@auditflow/schemas';
import type { Client } from '@elastic/elasticsearch';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ErasureError, eraseAndAudit } from './erasure.ts';
import { invalidParameter, QueryError } from './query.ts';
import type { Principal } from './server.ts';
import { ERASURE_OFF } from './settings.ts';

/** `POST /v1/erasures` body: the same as `auditflow erase`. */
export const erasureBodySchema = z.strictObject({
  subject: z.string().min(1, 'the actor id of the person').max(1024),
  tenant: z.string().regex(TENANT_ID_PATTERN, TENANT_ID_RULE),
  reason: z.string().min(1, 'why (a request reference)').max(2000),
  identifiers: z.array(z.string().min(1).max(1024)).max(20).default([]),
});

/**
 * `POST /v1/erasures` (SPEC G1): erases one subject in one tenant, as `auditflow erase` does, and
 * answers with the counts. Only a query client for every tenant (`*`, the operator's token) may:
 * erasure rewrites evidence, which a tenant's read token must not be able to do, and a viewer
 * token never. Off (503) without the sanitizer's pseudonym key. Sends its answer and returns the
 * status for the request metrics.
 */
export function erasureRoute(deps: {
  readonly es: Client;
  readonly producer: AuditProducer;
  readonly index: string;
  readonly pseudonymKey?: Buffer;
  readonly logger: Logger;
  readonly readBody: (req: IncomingMessage) => Promise<string>;
}) {
  return async (who: Principal, req: IncomingMessage, res: ServerResponse): Promise<number> => {
    if (who.viewer || !who.tenants.includes('*'))
      throw new QueryError(403, 'forbidden', "erasure needs a query client token for every tenant ('*')");
    if (!deps.pseudonymKey)
      throw new QueryError(503, 'erasure_disabled', `${ERASURE_OFF.setting}: ${ERASURE_OFF.message}`);
    let body: unknown;
    try {
      body = JSON.parse(await deps.readBody(req));
    } catch (err) {
      if (err instanceof QueryError) throw err;
      throw new QueryError(400, 'invalid_body', 'a JSON object {subject, tenant, reason, identifiers?}');
    }
    const parsed = erasureBodySchema.safeParse(body);
    if (!parsed.success) throw invalidParameter(parsed.error);
    const request = { ...parsed.data, index: deps.index };
    let status = 200;
    let answer: object;
    try {
      answer = await eraseAndAudit(
        deps.es,
        deps.pseudonymKey,
        request,
        { type: 'service', id: who.id, via: 'api' },
        (event) => deps.producer.emit(event, { pipeline: true }),
      );
    } catch (err) {
      if (!(err instanceof ErasureError)) {
        // Elasticsearch's message may quote the query, and so the subject: the log gets its kind only.
        deps.logger.error({ err: (err as Error).name }, 'erasure failed');
        throw new QueryError(502, 'erasure_failed', 'Elasticsearch refused the erasure; run it again');
      }
      // Part done: the caller learns how far it got and runs it again to finish.
      deps.logger.warn({ erasure: err.partial.erasureId, erased: err.partial.erased }, 'erasure stopped');
      status = 500;
      answer = { error: 'erasure_incomplete', message: err.message, ...err.partial };
    }
    const text = JSON.stringify(answer);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return status;
  };
}
