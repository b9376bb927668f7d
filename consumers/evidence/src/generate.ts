import { collectEvidence, type EvidenceSources, type ReportRequest } from './collect.ts';
import type { EvidenceReport, ReportFormat } from './model.ts';
import { type ArchivedReport, type AuditSink, publishReport, type Requester } from './publish.ts';
import { CONTENT_TYPES, renderReport } from './render/index.ts';

export interface GeneratedReport {
  readonly report: EvidenceReport;
  readonly body: Buffer;
  readonly contentType: string;
  readonly archived: ArchivedReport;
}

/**
 * Collects, renders, archives and audits one report: what the CLI and the query API both do.
 * The report is handed out only once it is archived and its audit event emitted.
 */
export async function generateReport(
  sources: EvidenceSources,
  request: ReportRequest,
  format: ReportFormat,
  publish: { audit: AuditSink; systemTenant: string; requester: Requester; env?: NodeJS.ProcessEnv },
): Promise<GeneratedReport> {
  const report = await collectEvidence(sources, request);
  const body = await renderReport(report, format, publish.env);
  const contentType = CONTENT_TYPES[format];
  const archived = await publishReport(
    { store: sources.store, audit: publish.audit, systemTenant: publish.systemTenant },
    report,
    format,
    body,
    contentType,
    publish.requester,
  );
  return { report, body, contentType, archived };
}
