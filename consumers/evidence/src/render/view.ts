import type { EvidenceQuery, EvidenceReport, RetentionSection, SectionId } from '../model.ts';
import { formatNumber } from '../summary.ts';

/** What every rendering shares: titles, number formats, the query text. */

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

export { formatNumber, formatShare } from '../summary.ts';

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
