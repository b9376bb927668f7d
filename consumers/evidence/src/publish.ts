import type { ArchiveStore } from '@auditflow/archive';
import type { AuditEventInput } from '@auditflow/schemas';
import type { EvidenceReport, ReportFormat } from './model.ts';
import { REPORT_ACTION } from './queries.ts';

/**
 * A generated report is evidence handed to someone: it is archived as it was handed out and
 * audited (issue 18). The object goes under `_control/reports/` in the archive bucket (beside
 * holds and deletion records, outside the data the digests list) with its SHA-256 in the
 * object's metadata, and the audit event names the key and the hash. The event itself is
 * archived and digested like every other, so a report altered later no longer matches the
 * signed record of what was handed out.
 */
export const REPORTS_PREFIX = '_control/reports/';

export interface ArchivedReport {
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
}

export const reportKey = (report: EvidenceReport, format: ReportFormat): string =>
  `${REPORTS_PREFIX}${report.generatedAt.slice(0, 10)}/${report.id}.${format}`;

export async function archiveReport(
  store: ArchiveStore,
  report: EvidenceReport,
  format: ReportFormat,
  body: Buffer,
  contentType: string,
): Promise<ArchivedReport> {
  const stored = await store.putOnce(reportKey(report, format), body, {
    contentType,
    metadata: { framework: report.framework, 'report-id': report.id },
  });
  return { key: stored.key, sha256: stored.sha256, size: stored.size };
}

export interface Requester {
  readonly type: 'user' | 'service';
  readonly id: string;
  /** e.g. `auditflow-cli`, `auditflow-query-api`. */
  readonly via: string;
}

/** The audit event of a generated report: who asked, for what period and scope, and what was handed out. */
export function reportAuditEvent(
  report: EvidenceReport,
  format: ReportFormat,
  archived: ArchivedReport,
  requester: Requester,
  systemTenant: string,
): AuditEventInput {
  return {
    action: REPORT_ACTION,
    category: 'security_tool',
    actor: { type: requester.type, id: requester.id },
    target: { type: 'evidence_report', id: report.id, name: archived.key },
    outcome: 'success',
    tenant_id: report.tenant ?? systemTenant,
    service: { name: requester.via },
    correlation_id: report.id,
    details: {
      framework: report.framework,
      format,
      period: report.period,
      tenant: report.tenant,
      sha256: archived.sha256,
      bytes: archived.size,
      archive_key: archived.key,
      findings: {
        events: report.activity.total,
        incomplete: report.completeness.incompleteTotal,
        integrity_ok: report.integrity.ok,
        gaps: report.loss.gapsTotal,
      },
    },
  };
}

/** How the caller audits: the CLI waits for Kafka's acknowledgement, the query API emits as its reads do. */
export type AuditSink = (event: AuditEventInput) => void | Promise<void>;

/** Archives the rendered report, then audits it (the pipeline's own event, as the query API's reads are). */
export async function publishReport(
  deps: { store: ArchiveStore; audit: AuditSink; systemTenant: string },
  report: EvidenceReport,
  format: ReportFormat,
  body: Buffer,
  contentType: string,
  requester: Requester,
): Promise<ArchivedReport> {
  const archived = await archiveReport(deps.store, report, format, body, contentType);
  await deps.audit(reportAuditEvent(report, format, archived, requester, deps.systemTenant));
  return archived;
}
