import type { EvidenceQuery, EvidenceReport, RetentionSection, SectionId } from '../model.ts';

/** What every rendering shares: titles, number formats, the query text and the verdicts. */

export const SECTION_TITLES: Readonly<Record<SectionId, string>> = {
  activity: 'Activity',
  completeness: 'Content completeness (AU-3)',
  integrity: 'Integrity',
  retention: 'Retention',
  loss: 'Loss accounting',
};

export const CONTROLS_TITLE = 'Controls and their evidence';
export const QUERIES_TITLE = 'Evidence queries';

/** Control characters from event values, made visible instead of reaching a document raw. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it replaces
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
export const printable = (text: string): string => text.replace(CONTROL, '\uFFFD');

export const formatNumber = (n: number): string => n.toLocaleString('en-US');
export const formatShare = (share: number): string => `${(Math.floor(share * 10_000) / 100).toFixed(2)} %`;

export function reportTitle(report: EvidenceReport): string {
  return `${report.frameworkName}: audit log evidence`;
}

export function periodText(report: EvidenceReport): string {
  return `${report.period.from} to ${report.period.to}`;
}

export const scopeText = (report: EvidenceReport): string =>
  report.tenant === null ? 'all tenants' : `tenant ${report.tenant}`;

/** The query as an auditor types it: an Elasticsearch request, or a command. */
export function queryText(query: EvidenceQuery): string {
  if (query.kind === 'cli') return query.command;
  return `${query.method} ${query.path}\n${JSON.stringify(query.body, null, 2)}`;
}

/** One line per section: whether it found a problem. */
export function verdicts(report: EvidenceReport): { section: SectionId; ok: boolean; text: string }[] {
  const c = report.completeness;
  const i = report.integrity;
  return [
    { section: 'activity', ok: true, text: `${formatNumber(report.activity.total)} events logged` },
    {
      section: 'completeness',
      ok: c.incompleteTotal === 0,
      text: `${formatShare(c.share)} of events complete; ${formatNumber(c.incompleteTotal)} lack a field`,
    },
    {
      section: 'integrity',
      ok: i.ok,
      text: i.ok
        ? `archive verified: ${formatNumber(i.objects)} objects in ${formatNumber(i.digests)} signed digests; every hour with events digested`
        : `${i.problems.length} archive problems; ${i.coverage.hoursWithoutDigest.length} hours with events and no digest`,
    },
    {
      section: 'retention',
      ok: true,
      text: `${report.retention.classes.length} classes in force; ${report.retention.holds.length} legal holds; ${report.retention.sweeps.length} sweeps in the period`,
    },
    {
      section: 'loss',
      ok: report.loss.ok,
      text: report.loss.error
        ? `reconcile could not run: ${report.loss.error}`
        : report.loss.ok
          ? `no gaps: every emitted event accounted for (${formatNumber(report.loss.inFlight)} in flight)`
          : `${formatNumber(report.loss.gapsTotal)} gaps`,
    },
  ];
}

/** The figure an id names in the report, with its control's label. */
export function figureById(report: EvidenceReport, id: string) {
  return report.activity.figures.find((f) => f.id === id);
}

/** The retention classes as a table (header, rows of text), shared by Markdown and HTML. */
export function retentionTable(r: RetentionSection): { header: string[]; rows: string[][] } {
  return {
    header: [
      'class',
      'days',
      'transitions',
      'indexed',
      'oldest indexed',
      'archived objects / events',
      'oldest archived',
      'locked',
      'held',
      'lifecycle rule',
    ],
    rows: r.classes.map((k) => [
      k.name + (k.name === r.defaultClass ? ' (default)' : ''),
      String(k.days),
      k.transitions.map((t) => `${t.storageClass} after ${t.afterDays} d`).join(', ') || 'none',
      formatNumber(k.indexed),
      k.oldestIndexed ?? 'none',
      `${formatNumber(k.archivedObjects)} / ${formatNumber(k.archivedEvents)}`,
      k.oldestArchived ?? 'none',
      formatNumber(k.locked),
      formatNumber(k.legalHoldObjects),
      k.lifecycle,
    ]),
  };
}

export function objectLockText(r: RetentionSection): string {
  const lock = r.objectLock;
  if (!lock.enabled) return 'Object Lock: not enabled on the bucket';
  return `Object Lock: enabled${lock.mode ? `, default ${lock.mode}` : ''}${lock.days !== undefined ? ` for ${lock.days} days` : ''}`;
}
