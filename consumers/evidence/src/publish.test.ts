import { describe, expect, it } from 'vitest';
import type { EvidenceReport } from './model.ts';
import { REPORTS_PREFIX, reportAuditEvent, reportKey } from './publish.ts';

const report = {
  id: '0190c1d2-0000-7000-8000-000000000001',
  framework: 'iso27001',
  generatedAt: '2026-03-02T08:00:00.000Z',
  period: { from: '2026-01-01T00:00:00.000Z', to: '2026-03-31T23:59:59.999Z' },
  tenant: null,
  activity: { total: 10 },
  completeness: { incompleteTotal: 2 },
  integrity: { ok: true },
  loss: { gaps: [], gapsTotal: 3 },
} as unknown as EvidenceReport;

describe('a handed-out report', () => {
  it('is archived under _control/reports by day and id', () => {
    expect(reportKey(report, 'pdf')).toBe(`${REPORTS_PREFIX}2026-03-02/${report.id}.pdf`);
  });

  it('is audited with who asked, what was handed out and its hash; the system tenant for all tenants', () => {
    const event = reportAuditEvent(
      report,
      'pdf',
      { key: reportKey(report, 'pdf'), sha256: 'ab'.repeat(32), size: 1234 },
      { type: 'user', id: 'auditor-1', via: 'auditflow-cli' },
      'auditflow',
    );
    expect(event).toMatchObject({
      action: 'audit.report.generated',
      actor: { type: 'user', id: 'auditor-1' },
      target: { type: 'evidence_report', id: report.id, name: reportKey(report, 'pdf') },
      outcome: 'success',
      tenant_id: 'auditflow',
      service: { name: 'auditflow-cli' },
      correlation_id: report.id,
    });
    expect(event.details).toMatchObject({
      framework: 'iso27001',
      format: 'pdf',
      sha256: 'ab'.repeat(32),
      bytes: 1234,
      findings: { events: 10, incomplete: 2, integrity_ok: true, gaps: 3 },
    });
  });
});
