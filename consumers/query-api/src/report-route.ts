import type { ServerResponse } from 'node:http';
import { type EvidenceSources, FORMATS, FRAMEWORKS, generateReport } from '@auditflow/evidence';
import type { AuditProducer } from '@auditflow/producer';
import { CHROMIUM_ENV } from '@auditflow/schemas';
import type { Logger } from 'pino';
import { z } from 'zod';
import { invalidParameter, parseTime, QueryError, tenantScope } from './query.ts';
import type { Principal } from './server.ts';
import { chromiumOrOff, isUnavailable, REPORTS_OFF, type Unavailable } from './settings.ts';

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
 * viewer token may not (a report covers a whole tenant, more than a viewer's scope). The sources
 * and the browser are read and checked at start (readQueryApiCapabilities); a part left off
 * answers 503 naming the setting that turns it on, before any work.
 */
export function reportRoute(deps: {
  readonly producer: AuditProducer;
  readonly selfTenant: string;
  readonly logger: Logger;
  /** The report's sources, or why reports are off (off when not given). */
  readonly sources?: EvidenceSources | Unavailable;
  /** The browser printing PDFs, or why PDF is off; looked up once here (PATH) when not given. */
  readonly chromium?: string | Unavailable;
}) {
  const sources = deps.sources ?? REPORTS_OFF;
  const chromium = isUnavailable(sources) ? undefined : (deps.chromium ?? chromiumOrOff(process.env));
  const off = (code: string, why: Unavailable) => new QueryError(503, code, `${why.setting}: ${why.message}`);

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
    if (isUnavailable(sources)) throw off('reports_unavailable', sources);
    // Before any work: a host without a browser cannot print, and says so.
    if (p.format === 'pdf' && isUnavailable(chromium)) throw off('pdf_unavailable', chromium);
    const generated = await generateReport(
      sources,
      { framework: p.framework, from, to, ...(tenant === undefined ? {} : { tenant }) },
      p.format,
      {
        audit: (event) => {
          deps.producer.emit(event, { pipeline: true });
        },
        systemTenant: deps.selfTenant,
        requester: { type: 'service', id: who.id, via: 'auditflow-query-api' },
        ...(typeof chromium === 'string' ? { env: { [CHROMIUM_ENV]: chromium } } : {}),
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
