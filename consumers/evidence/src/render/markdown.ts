import type { Count, EvidenceReport } from '../model.ts';
import {
  CONTROLS_TITLE,
  figureById,
  formatNumber,
  formatShare,
  objectLockText,
  periodText,
  printable,
  QUERIES_TITLE,
  queryText,
  reportTitle,
  retentionTable,
  SECTION_TITLES,
  scopeText,
} from './view.ts';

/** Table cells: pipes and line breaks would end the cell (values come from events). */
const cell = (text: string | number): string =>
  printable(String(text))
    .replaceAll('\\', '\\\\')
    .replaceAll('|', '\\|')
    .replaceAll(/[\r\n]+/g, ' ');

function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string[] {
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

const counts = (list: readonly Count[]) =>
  table(
    ['value', 'events'],
    list.map((c) => [c.key, formatNumber(c.count)]),
  );

/** The report as Markdown (for a ticket, a wiki, a repository). */
export function renderMarkdown(report: EvidenceReport): string {
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines);
  push(
    `# ${reportTitle(report)}`,
    '',
    `- Period: ${periodText(report)}`,
    `- Scope: ${cell(scopeText(report))}; index \`${report.index}\``,
    `- Generated: ${report.generatedAt}; report id \`${report.id}\``,
    '',
    '## Summary',
    '',
    ...table(
      ['section', 'result', 'finding'],
      report.summary.sections.map((v) => [SECTION_TITLES[v.section], v.ok ? 'ok' : 'PROBLEM', v.finding]),
    ),
    '',
    `## ${CONTROLS_TITLE}`,
    '',
  );
  for (const control of report.controls) {
    const status = report.summary.controls.find((s) => s.id === control.id);
    const verdict = status?.ok
      ? 'every section evidencing it found no problem'
      : `PROBLEM in ${(status?.problems ?? []).map((s) => SECTION_TITLES[s]).join(', ')}`;
    push(`### ${control.id} ${control.title}`, '', `${control.requirement} Result: ${verdict}.`, '');
    for (const e of control.evidence) {
      const figures = (e.figures ?? [])
        .map((id) => figureById(report, id))
        .filter((f) => f !== undefined)
        .map((f) => `${f.label} ${formatNumber(f.value)} [${f.query}]`);
      push(`- **${SECTION_TITLES[e.section]}**: ${e.how}${figures.length ? ` (${figures.join('; ')})` : ''}`);
    }
    push('');
  }

  const a = report.activity;
  push(
    `## ${SECTION_TITLES.activity}`,
    '',
    ...table(
      ['figure', 'value', 'definition', 'query'],
      [...a.figures, ...a.tagged].map((f) => [f.label, formatNumber(f.value), f.definition, f.query]),
    ),
    '',
  );
  push(`### Events by category [${a.byCategoryQuery}]`, '', ...counts(a.byCategory), '');
  push('### Events by outcome', '', ...counts(a.byOutcome), '');
  for (const f of a.figures) {
    if (f.id !== 'events' && f.breakdown?.length)
      push(`### ${f.label} by action`, '', ...counts(f.breakdown), '');
  }
  push(
    `### Events over time (${a.overTime.interval === '1h' ? 'per hour' : 'per day'}) [${a.overTime.query}]`,
    '',
    ...table(
      ['from', 'events', 'success', 'failure', 'denied', 'unknown'],
      a.overTime.buckets.map((b) => [
        b.start,
        b.total,
        b.byOutcome.success ?? 0,
        b.byOutcome.failure ?? 0,
        b.byOutcome.denied ?? 0,
        b.byOutcome.unknown ?? 0,
      ]),
    ),
    '',
  );

  const c = report.completeness;
  push(
    `## ${SECTION_TITLES.completeness}`,
    '',
    `${formatNumber(c.complete)} of ${formatNumber(c.total)} events (${formatShare(c.share)}) record who, what, when, where, source and outcome.`,
    '',
    ...table(
      ['field', 'answered by', 'events lacking it', 'query'],
      c.fields.map((f) => [f.field, f.definition, formatNumber(f.missing), f.query]),
    ),
    '',
    `### Events lacking a field [${c.incompleteQuery}]`,
    '',
  );
  if (c.incomplete.length === 0) push('None.', '');
  else {
    push(
      ...table(
        ['event', 'time', 'action', 'missing'],
        c.incomplete.map((e) => [e.id, e.time, e.action, e.missing.join(', ')]),
      ),
      '',
    );
    if (c.incompleteTotal > c.incomplete.length)
      push(
        `(${formatNumber(c.incompleteTotal - c.incomplete.length)} more: run ${c.incompleteQuery} to list them all)`,
        '',
      );
  }

  const i = report.integrity;
  push(
    `## ${SECTION_TITLES.integrity}`,
    '',
    `verify [${i.command}]: ${i.ok ? 'no problems' : 'PROBLEMS FOUND'}; ${formatNumber(i.digests)} digests, ${formatNumber(i.objects)} objects listed, ${formatNumber(i.events)} events in the period's objects.`,
    '',
  );
  if (i.problems.length)
    push(
      ...table(
        ['problem', 'object'],
        i.problems.map((p) => [p.kind, p.key]),
      ),
      '',
    );
  if (i.inFlight.length)
    push(`Rolls being written while verify read (not a problem): ${i.inFlight.length}`, '');
  push(
    `Digest coverage [${i.coverage.query}]: ${i.coverage.hoursDigested} of ${i.coverage.hoursWithEvents} hours with events are covered by a signed digest.`,
    '',
  );
  if (i.coverage.hoursWithoutDigest.length)
    push('Hours with events and no digest:', '', ...i.coverage.hoursWithoutDigest.map((h) => `- ${h}`), '');

  const r = report.retention;
  const classes = retentionTable(r);
  push(
    `## ${SECTION_TITLES.retention}`,
    '',
    `Classes in force, what the index [${r.oldestQuery}] and the archive [${r.command}] hold of each. ${objectLockText(r)}.`,
    '',
    ...table(classes.header, classes.rows),
    '',
    `Legal holds: ${r.holds.length === 0 ? 'none' : ''}`,
    '',
  );
  if (r.holds.length)
    push(
      ...table(
        ['hold', 'tenant', 'from', 'to', 'reason'],
        r.holds.map((h) => [h.id, h.tenant, h.from, h.to, h.reason]),
      ),
      '',
    );
  push(`Sweeps in the period: ${r.sweeps.length === 0 ? 'none' : ''}`, '');
  if (r.sweeps.length)
    push(
      ...table(
        ['deletion record', 'at', 'objects', 'signature'],
        r.sweeps.map((w) => [w.key, w.at, w.objects, w.signature]),
      ),
      '',
    );

  const l = report.loss;
  push(
    `## ${SECTION_TITLES.loss}`,
    '',
    `reconcile [${l.command}]: ${l.error ? `could not run: ${l.error}` : l.ok ? 'no gaps' : `${formatNumber(l.gapsTotal)} GAPS`}.`,
    '',
    ...table(
      ['count', 'events'],
      Object.entries(l.counts).map(([k, v]) => [k, formatNumber(v)]),
    ),
    '',
  );
  if (Object.keys(l.deadLetterReasons).length)
    push(
      'Dead-lettered, by reason:',
      '',
      ...table(['reason', 'events'], Object.entries(l.deadLetterReasons)),
      '',
    );
  if (l.gaps.length)
    push(
      'Gaps:',
      '',
      ...table(
        ['stage', 'gap'],
        l.gaps.map((g) => [g.stage, g.detail]),
      ),
      '',
    );
  if (l.gapsTotal > l.gaps.length)
    push(`(${formatNumber(l.gapsTotal - l.gaps.length)} more: run ${l.command} to list them all)`, '');

  push(
    `## ${QUERIES_TITLE}`,
    '',
    `Each number above names its query; run it against \`${report.index}\` (Elasticsearch) or with the auditflow CLI.`,
    '',
  );
  for (const q of report.queries) {
    push(`### ${q.id}`, '');
    if (q.kind === 'elasticsearch' && q.queryApi) push(`Query API: \`${q.queryApi}\``, '');
    push(q.kind === 'cli' ? '```sh' : '```', queryText(q), '```', '');
  }
  return `${printable(out.join('\n')).trimEnd()}\n`;
}
