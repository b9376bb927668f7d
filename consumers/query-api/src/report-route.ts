import type { ServerResponse } from 'node:http';
import {
  chromiumExecutable,
  type EvidenceSources,
  evidenceSourcesFromEnv,
  FORMATS,
  FRAMEWORKS,
  generateReport,
} from '@auditflow/evidence';
import type { AuditProducer } from '@auditflow/producer';
import type { Logger } from 'pino';
import { z } from 'zod';
import { invalidParameter, parseTime, QueryError, tenantScope } from './query.ts';
import type { Principal } from './server.ts';

export const REPORTS_PATH = '/v1/reports';

/** What a report reads (the index, the archive, the topics, the policies). */
export type ReportSources = EvidenceSources;

/** `GET /v1/reports` parameters: the same as `auditflow report`. */
export const reportParamsSchema = z.strictObject({
  framework: z.enum(FRAMEWORKS),
  from: z.string().min(1, 'the period start: an ISO time or a duration like 90d'),
  to: z.string().min(1).optional(),
  tenant_id: z.string().min(1).optional(),
  format: z.enum(FORMATS).default('json'),
});

/**
 * `GET /v1/reports?framework=&from=&to=&tenant_id=&format=` (SPEC Q4): the period's evidence
 * report, as `auditflow report` makes it, archived with its SHA-256 and audited
 * (`audit.report.generated`, emitted like the API's exports) before it is sent; the id, hash
 * and archive key come back as headers. A token limited to tenants must name one of them; a
 * viewer token may not (a report covers a whole tenant, more than a viewer's scope). The archive
 * and topics are read with the settings of the archive commands (S3_*, the archive key,
 * AUDITFLOW_ARCHIVE_PREFIX...), checked at the first report: a missing one answers 503 naming it.
 */
export function reportRoute(deps: {
  readonly es: EvidenceSources['es'];
  readonly producer: AuditProducer;
  readonly index: string;
  readonly selfTenant: string;
  readonly logger: Logger;
  /** The report's sources; from the process environment when not given. */
  readonly sources?: EvidenceSources;
}) {
  let sources: EvidenceSources | undefined = deps.sources;
  const sourcesOrThrow = (): EvidenceSources => {
    if (sources) return sources;
    try {
      const fromEnv = evidenceSourcesFromEnv(process.env, { index: deps.index });
      // The API's own Elasticsearch client, not a second one.
      void fromEnv.close();
      sources = { ...fromEnv, es: deps.es };
      return sources;
    } catch (err) {
      throw new QueryError(503, 'reports_unavailable', (err as Error).message);
    }
  };

  return async (who: Principal, url: URL, res: ServerResponse): Promise<number> => {
    if (who.viewer) throw new QueryError(403, 'forbidden', 'reports need a query client token');
    const parsed = reportParamsSchema.safeParse(Object.fromEntries(url.searchParams));
    if (!parsed.success) throw invalidParameter(parsed.error);
    const p = parsed.data;
    const scope = tenantScope(who.tenants, p.tenant_id);
    if (scope !== 'all' && scope.length !== 1)
      throw new QueryError(400, 'invalid_parameter', 'tenant_id: this token reads several tenants; name one');
    const tenant = scope === 'all' ? undefined : scope[0];
    const now = Date.now();
    const from = Date.parse(parseTime(p.from, now));
    const to = p.to ? Date.parse(parseTime(p.to, now)) : now;
    if (!(from <= to)) throw new QueryError(400, 'invalid_parameter', 'from: must not be after to');
    if (p.format === 'pdf') {
      // Before any work: a host without a browser cannot print, and says so.
      try {
        chromiumExecutable();
      } catch (err) {
        throw new QueryError(503, 'pdf_unavailable', (err as Error).message);
      }
    }
    const generated = await generateReport(
      sourcesOrThrow(),
      { framework: p.framework, from, to, ...(tenant === undefined ? {} : { tenant }) },
      p.format,
      {
        audit: (event) => {
          deps.producer.emit(event, { pipeline: true });
        },
        systemTenant: deps.selfTenant,
        requester: { type: 'service', id: who.id, via: 'auditflow-query-api' },
      },
    );
    deps.logger.info(
      { report: generated.report.id, framework: p.framework, key: generated.archived.key, client: who.id },
      'evidence report generated',
    );
    res.writeHead(200, {
      'content-type': generated.contentType,
      'content-length': generated.body.length,
      'x-auditflow-report-id': generated.report.id,
      'x-auditflow-report-sha256': generated.archived.sha256,
      'x-auditflow-report-key': generated.archived.key,
    });
    res.end(generated.body);
    return 200;
  };
}
