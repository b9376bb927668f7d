import type { Count, EvidenceReport } from '../model.ts';
import { barChart, escapeXml as esc, shareBar, stackedColumns } from './charts.ts';
import {
  CONTROLS_TITLE,
  figureById,
  formatNumber,
  formatShare,
  objectLockText,
  periodText,
  QUERIES_TITLE,
  queryText,
  reportTitle,
  retentionTable,
  SECTION_TITLES,
  scopeText,
} from './view.ts';

/**
 * The report as one self-contained HTML document: a cover, a table of contents, the sections
 * with inline SVG charts, and the evidence queries. Styles are inline and print-friendly (each
 * section starts a page), which is what the PDF is printed from.
 */

const STYLE = `
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #1a1a1a; margin: 0 auto; max-width: 56rem; padding: 1.5rem; font-size: 11pt; line-height: 1.4; }
h1 { font-size: 24pt; margin: 0 0 1rem; } h2 { font-size: 16pt; border-bottom: 2px solid #1565c0; padding-bottom: .2rem; margin-top: 2rem; }
h3 { font-size: 12.5pt; margin-top: 1.4rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: 9.5pt; }
th, td { border: 1px solid #ccc; padding: .25rem .4rem; text-align: left; vertical-align: top; overflow-wrap: break-word; }
td:first-child { min-width: 8rem; }
th { background: #eef3fb; }
td.n { text-align: right; white-space: nowrap; }
.cover { min-height: 90vh; display: flex; flex-direction: column; justify-content: center; border-left: 8px solid #1565c0; padding-left: 2rem; }
.cover dl { display: grid; grid-template-columns: max-content auto; gap: .3rem 1rem; }
.cover dt { font-weight: bold; }
.ok { color: #2e7d32; font-weight: bold; } .problem { color: #c62828; font-weight: bold; }
.q { font-family: monospace; font-size: 9pt; color: #1565c0; white-space: nowrap; }
pre { background: #f5f5f5; border: 1px solid #ddd; padding: .5rem; font-size: 8.5pt; white-space: pre-wrap; word-break: break-all; }
nav ol { line-height: 1.8; }
svg { display: block; margin: .8rem 0; max-width: 100%; height: auto; }
section, nav { break-before: page; } #summary { break-before: auto; }
@media print { body { max-width: none; padding: 0; } a { color: inherit; text-decoration: none; } }
`;

const q = (id: string) => `<a class="q" href="#${esc(id)}">[${esc(id)}]</a>`;

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: readonly number[] = [],
): string {
  const head = `<tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  // Cells are HTML already (escaped by the caller where they hold data).
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table>${head}${body}</table>`;
}

const countsTable = (list: readonly Count[]) =>
  table(
    ['value', 'events'],
    list.map((c) => [esc(c.key), formatNumber(c.count)]),
    [1],
  );

export function renderHtml(report: EvidenceReport): string {
  const title = reportTitle(report);
  const parts: string[] = [];
  const toc: [string, string][] = [
    ['summary', 'Summary'],
    ['controls', CONTROLS_TITLE],
    ...(['activity', 'completeness', 'integrity', 'retention', 'loss'] as const).map(
      (s) => [s, SECTION_TITLES[s]] as [string, string],
    ),
    ['queries', QUERIES_TITLE],
  ];

  parts.push(
    `<div class="cover"><p>Audit log evidence report</p><h1>${esc(report.frameworkName)}</h1><dl>`,
    `<dt>Period</dt><dd>${esc(periodText(report))}</dd>`,
    `<dt>Scope</dt><dd>${esc(scopeText(report))}; index ${esc(report.index)}</dd>`,
    `<dt>Controls</dt><dd>${report.controls.map((c) => esc(c.id)).join(', ')}</dd>`,
    `<dt>Generated</dt><dd>${esc(report.generatedAt)}</dd>`,
    `<dt>Report id</dt><dd>${esc(report.id)}</dd></dl></div>`,
  );
  parts.push(
    `<nav><h2>Contents</h2><ol>${toc.map(([id, t]) => `<li><a href="#${id}">${esc(t)}</a></li>`).join('')}</ol></nav>`,
  );

  parts.push(
    '<section id="summary"><h2>Summary</h2>',
    table(
      ['section', 'result', 'finding'],
      report.summary.sections.map((v) => [
        `<a href="#${v.section}">${esc(SECTION_TITLES[v.section])}</a>`,
        v.ok ? '<span class="ok">ok</span>' : '<span class="problem">PROBLEM</span>',
        esc(v.finding),
      ]),
    ),
    '</section>',
  );

  parts.push(`<section id="controls"><h2>${esc(CONTROLS_TITLE)}</h2>`);
  for (const control of report.controls) {
    const status = report.summary.controls.find((s) => s.id === control.id);
    const verdict = status?.ok
      ? '<span class="ok">ok</span>'
      : `<span class="problem">PROBLEM in ${esc((status?.problems ?? []).map((s) => SECTION_TITLES[s]).join(', '))}</span>`;
    parts.push(
      `<h3>${esc(control.id)} ${esc(control.title)}</h3><p>${esc(control.requirement)} Result: ${verdict}</p><ul>`,
    );
    for (const e of control.evidence) {
      const figures = (e.figures ?? [])
        .map((id) => figureById(report, id))
        .filter((f) => f !== undefined)
        .map((f) => `${esc(f.label)} <b>${formatNumber(f.value)}</b> ${q(f.query)}`);
      parts.push(
        `<li><a href="#${e.section}"><b>${esc(SECTION_TITLES[e.section])}</b></a>: ${esc(e.how)}${figures.length ? `<br>${figures.join('; ')}` : ''}</li>`,
      );
    }
    parts.push('</ul>');
  }
  parts.push('</section>');

  const a = report.activity;
  parts.push(
    `<section id="activity"><h2>${esc(SECTION_TITLES.activity)}</h2>`,
    table(
      ['figure', 'value', 'definition', 'query'],
      [...a.figures, ...a.tagged].map((f) => [
        esc(f.label),
        formatNumber(f.value),
        esc(f.definition),
        q(f.query),
      ]),
      [1],
    ),
    stackedColumns(
      a.overTime.buckets,
      `Events ${a.overTime.interval === '1h' ? 'per hour' : 'per day'} by outcome`,
    ),
    `<p>Query ${q(a.overTime.query)}</p>`,
    barChart(a.byCategory, 'Events by category'),
    `<p>Query ${q(a.byCategoryQuery)}</p>`,
    '<h3>Events by outcome</h3>',
    countsTable(a.byOutcome),
  );
  for (const f of a.figures) {
    if (f.id !== 'events' && f.breakdown?.length)
      parts.push(`<h3>${esc(f.label)} by action</h3>`, countsTable(f.breakdown));
  }
  parts.push('</section>');

  const c = report.completeness;
  parts.push(
    `<section id="completeness"><h2>${esc(SECTION_TITLES.completeness)}</h2>`,
    `<p><b>${formatNumber(c.complete)}</b> of <b>${formatNumber(c.total)}</b> events (${formatShare(c.share)}) record who, what, when, where, source and outcome.</p>`,
    shareBar(c.share, `Complete records: ${formatShare(c.share)}`),
    table(
      ['field', 'answered by', 'events lacking it', 'query'],
      c.fields.map((f) => [esc(f.field), esc(f.definition), formatNumber(f.missing), q(f.query)]),
      [2],
    ),
    `<h3>Events lacking a field ${q(c.incompleteQuery)}</h3>`,
    c.incomplete.length === 0
      ? '<p>None.</p>'
      : table(
          ['event', 'time', 'action', 'missing'],
          c.incomplete.map((e) => [esc(e.id), esc(e.time), esc(e.action), esc(e.missing.join(', '))]),
        ),
    c.incompleteTotal > c.incomplete.length
      ? `<p>${formatNumber(c.incompleteTotal - c.incomplete.length)} more: run ${q(c.incompleteQuery)} to list them all.</p>`
      : '',
    '</section>',
  );

  const i = report.integrity;
  parts.push(
    `<section id="integrity"><h2>${esc(SECTION_TITLES.integrity)}</h2>`,
    `<p>verify ${q(i.command)}: ${i.ok ? '<span class="ok">no problems</span>' : '<span class="problem">PROBLEMS FOUND</span>'}; ${formatNumber(i.digests)} digests, ${formatNumber(i.objects)} objects listed, ${formatNumber(i.events)} events in the period's objects.</p>`,
    i.problems.length
      ? table(
          ['problem', 'object'],
          i.problems.map((p) => [esc(p.kind), esc(p.key)]),
        )
      : '',
    i.inFlight.length
      ? `<p>Rolls being written while verify read (not a problem): ${i.inFlight.length}</p>`
      : '',
    `<h3>Digest coverage ${q(i.coverage.query)}</h3>`,
    `<p>${i.coverage.hoursDigested} of ${i.coverage.hoursWithEvents} hours with events are covered by a signed digest.</p>`,
    i.coverage.hoursWithoutDigest.length
      ? `<p>Hours with events and no digest:</p><ul>${i.coverage.hoursWithoutDigest.map((h) => `<li>${esc(h)}</li>`).join('')}</ul>`
      : '',
    '</section>',
  );

  const r = report.retention;
  const classes = retentionTable(r);
  parts.push(
    `<section id="retention"><h2>${esc(SECTION_TITLES.retention)}</h2>`,
    `<p>Classes in force, what the index ${q(r.oldestQuery)} and the archive ${q(r.command)} hold of each. ${esc(objectLockText(r))}.</p>`,
    table(
      classes.header,
      classes.rows.map((row) => row.map(esc)),
      [1, 3, 5, 7, 8],
    ),
    '<h3>Legal holds</h3>',
    r.holds.length === 0
      ? '<p>None.</p>'
      : table(
          ['hold', 'tenant', 'from', 'to', 'reason'],
          r.holds.map((h) => [h.id, h.tenant, h.from, h.to, h.reason].map(esc)),
        ),
    '<h3>Sweeps in the period</h3>',
    r.sweeps.length === 0
      ? '<p>None.</p>'
      : table(
          ['deletion record', 'at', 'objects', 'signature'],
          r.sweeps.map((w) => [esc(w.key), esc(w.at), String(w.objects), esc(w.signature)]),
        ),
    '</section>',
  );

  const l = report.loss;
  parts.push(
    `<section id="loss"><h2>${esc(SECTION_TITLES.loss)}</h2>`,
    `<p>reconcile ${q(l.command)}: ${l.error ? `<span class="problem">could not run: ${esc(l.error)}</span>` : l.ok ? '<span class="ok">no gaps</span>' : `<span class="problem">${formatNumber(l.gapsTotal)} GAPS</span>`}</p>`,
    table(
      ['count', 'events'],
      Object.entries(l.counts).map(([k, v]) => [esc(k), formatNumber(v)]),
      [1],
    ),
    Object.keys(l.deadLetterReasons).length
      ? `<h3>Dead-lettered, by reason</h3>${table(
          ['reason', 'events'],
          Object.entries(l.deadLetterReasons).map(([k, v]) => [esc(k), formatNumber(v)]),
          [1],
        )}`
      : '',
    l.gaps.length
      ? `<h3>Gaps</h3>${table(
          ['stage', 'gap'],
          l.gaps.map((g) => [esc(g.stage), esc(g.detail)]),
        )}`
      : '',
    l.gapsTotal > l.gaps.length
      ? `<p>${formatNumber(l.gapsTotal - l.gaps.length)} more: run ${q(l.command)} to list them all.</p>`
      : '',
    '</section>',
  );

  parts.push(
    `<section id="queries"><h2>${esc(QUERIES_TITLE)}</h2>`,
    `<p>Each number names its query; run it against <code>${esc(report.index)}</code> (Elasticsearch) or with the auditflow CLI.</p>`,
    ...report.queries.map(
      (query) =>
        `<h3 id="${esc(query.id)}">${esc(query.id)}</h3>${query.kind === 'elasticsearch' && query.queryApi ? `<p>Query API: <code>${esc(query.queryApi)}</code></p>` : ''}<pre>${esc(queryText(query))}</pre>`,
    ),
    '</section>',
  );

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body>
${parts.join('\n')}
</body></html>
`;
}
