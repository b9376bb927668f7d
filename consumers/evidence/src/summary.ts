import type { ControlEvidence, EvidenceReport, ReportSummary, SectionId } from './model.ts';

export const formatNumber = (n: number): string => n.toLocaleString('en-US');
export const formatShare = (share: number): string => `${(Math.floor(share * 10_000) / 100).toFixed(2)} %`;

type Findings = Omit<EvidenceReport, 'summary'>;

/** One line per section: whether it found a problem, and what. */
function sectionVerdicts(report: Findings): ReportSummary['sections'] {
  const c = report.completeness;
  const i = report.integrity;
  return [
    { section: 'activity', ok: true, finding: `${formatNumber(report.activity.total)} events logged` },
    {
      section: 'completeness',
      ok: c.incompleteTotal === 0,
      finding: `${formatShare(c.share)} of events complete; ${formatNumber(c.incompleteTotal)} lack a field`,
    },
    {
      section: 'integrity',
      ok: i.ok,
      finding: i.ok
        ? `archive verified: ${formatNumber(i.objects)} objects in ${formatNumber(i.digests)} signed digests; every hour with events digested`
        : `${i.problems.length} archive problems; ${i.coverage.hoursWithoutDigest.length} hours with events and no digest`,
    },
    {
      section: 'retention',
      ok: true,
      finding: `${report.retention.classes.length} classes in force; ${report.retention.holds.length} legal holds; ${report.retention.sweeps.length} sweeps in the period`,
    },
    {
      section: 'loss',
      ok: report.loss.ok,
      finding: report.loss.error
        ? `reconcile could not run: ${report.loss.error}`
        : report.loss.ok
          ? `no gaps: every emitted event accounted for (${formatNumber(report.loss.inFlight)} in flight)`
          : `${formatNumber(report.loss.gapsTotal)} gaps`,
    },
  ];
}

/**
 * The verdicts a GRC tool reads first: per section, and per control the sections evidencing it
 * that found a problem (a control is met only when every one of its sections is).
 */
export function summarize(report: Findings): ReportSummary {
  const sections = sectionVerdicts(report);
  const failed = new Set<SectionId>(sections.filter((s) => !s.ok).map((s) => s.section));
  const control = (c: ControlEvidence) => {
    const problems = [...new Set(c.evidence.map((e) => e.section))].filter((s) => failed.has(s));
    return { id: c.id, ok: problems.length === 0, problems };
  };
  return { sections, controls: report.controls.map(control) };
}
