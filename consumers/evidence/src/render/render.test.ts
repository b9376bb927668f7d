import { describe, expect, it } from 'vitest';
import { FRAMEWORK_DEFINITIONS } from '../frameworks.ts';
import { type EvidenceReport, REPORT_FORMAT } from '../model.ts';
import { summarize } from '../summary.ts';
import { barChart, stackedColumns } from './charts.ts';
import { renderHtml } from './html.ts';
import { renderReport } from './index.ts';
import { renderMarkdown } from './markdown.ts';
import { SECTION_TITLES } from './view.ts';

const HOSTILE = '<script>alert(1)</script>|pipe';

function fixture(overrides: Partial<EvidenceReport> = {}): EvidenceReport {
  const base: Omit<EvidenceReport, 'summary'> = {
    format: REPORT_FORMAT,
    id: '0190c1d2-0000-7000-8000-000000000001',
    framework: 'soc2',
    frameworkName: FRAMEWORK_DEFINITIONS.soc2.name,
    generatedAt: '2026-03-02T00:00:00.000Z',
    period: { from: '2026-03-01T00:00:00.000Z', to: '2026-03-01T23:59:59.999Z' },
    tenant: 'acme',
    index: 'audit-events*',
    controls: FRAMEWORK_DEFINITIONS.soc2.controls,
    activity: {
      total: 12,
      figures: [
        { id: 'events', label: 'Events logged', definition: 'every event', value: 12, query: 'Q1' },
        {
          id: 'privileged',
          label: 'Privileged actions',
          definition: 'high or critical',
          value: 4,
          query: 'Q2',
          breakdown: [{ key: HOSTILE, count: 4 }],
        },
      ],
      byCategory: [
        { key: 'git', count: 8 },
        { key: 'authentication', count: 4 },
      ],
      byCategoryQuery: 'Q3',
      byOutcome: [
        { key: 'success', count: 10 },
        { key: 'denied', count: 2 },
      ],
      overTime: {
        interval: '1h',
        query: 'Q4',
        buckets: [
          { start: '2026-03-01T10:00:00.000Z', total: 7, byOutcome: { success: 6, denied: 1 } },
          { start: '2026-03-01T11:00:00.000Z', total: 5, byOutcome: { success: 4, denied: 1 } },
        ],
      },
      tagged: [
        {
          id: 'tag:SOC2:CC6.1',
          label: 'Events tagged SOC2:CC6.1',
          definition: 'tagged',
          value: 9,
          query: 'Q5',
        },
      ],
    },
    completeness: {
      total: 12,
      complete: 11,
      share: 11 / 12,
      fields: [{ field: 'outcome', definition: 'audit.outcome', missing: 1, query: 'Q6' }],
      incompleteQuery: 'Q7',
      incomplete: [{ id: 'ev-1', time: '2026-03-01T10:05:00.000Z', action: HOSTILE, missing: ['outcome'] }],
      incompleteTotal: 1,
      listCap: 1000,
    },
    integrity: {
      ok: false,
      digests: 3,
      objects: 5,
      events: 12,
      problems: [{ kind: 'altered', key: 'tenant=acme/date=2026-03-01/hour=10/x.ndjson.gz' }],
      inFlight: [],
      command: 'Q8',
      coverage: {
        hoursWithEvents: 2,
        hoursDigested: 1,
        hoursWithoutDigest: ['2026-03-01T11:00:00.000Z'],
        query: 'Q9',
      },
    },
    retention: {
      defaultClass: 'standard',
      classes: [
        {
          name: 'standard',
          days: 365,
          transitions: [],
          indexed: 12,
          oldestIndexed: '2026-03-01T10:00:00.000Z',
          archivedObjects: 5,
          archivedEvents: 12,
          oldestArchived: '2026-03-01T10:00:00.000Z',
          locked: 5,
          legalHoldObjects: 0,
          lifecycle: 'applied',
        },
      ],
      oldestQuery: 'Q10',
      objectLock: { enabled: true, mode: 'GOVERNANCE', days: 1 },
      holds: [],
      sweeps: [
        { key: '_control/deletions/x.json', at: '2026-03-01T12:00:00.000Z', objects: 2, signature: 'valid' },
      ],
      command: 'Q12',
    },
    loss: {
      ok: false,
      counts: { emitted: 13, indexed: 12 },
      deadLetterReasons: {},
      gaps: [
        {
          stage: 'index',
          detail: 'event ev-9 (tenant acme) is in the clean topic but not in the index',
          id: 'ev-9',
        },
      ],
      gapsTotal: 3,
      inFlight: 0,
      command: 'Q13',
    },
    queries: [
      {
        id: 'Q1',
        kind: 'elasticsearch',
        method: 'POST',
        path: '/audit-events*/_count',
        body: { query: { match_all: {} } },
      },
      { id: 'Q8', kind: 'cli', command: 'auditflow verify --from a --to b --json' },
    ],
    ...overrides,
  };
  return { ...base, summary: overrides.summary ?? summarize(base) };
}

describe('Markdown', () => {
  const md = renderMarkdown(fixture());

  it('has every section, each control, the findings and the queries', () => {
    for (const title of Object.values(SECTION_TITLES)) expect(md).toContain(`## ${title}`);
    for (const id of ['CC6.1', 'CC6.2', 'CC7.2']) expect(md).toContain(`### ${id} `);
    expect(md).toContain('| Events logged | 12 |');
    expect(md).toContain('| altered | tenant=acme/date=2026-03-01/hour=10/x.ndjson.gz |');
    expect(md).toContain('- 2026-03-01T11:00:00.000Z');
    expect(md).toContain('event ev-9 (tenant acme) is in the clean topic but not in the index');
    expect(md).toContain('### Q1\n\n```\nPOST /audit-events*/_count');
    expect(md).toContain('| ev-1 |');
    expect(md).toContain('3 GAPS');
    expect(md).toContain('| standard (default) | 365 | none | 12 | 2026-03-01T10:00:00.000Z | 5 / 12 |');
    expect(md).toContain('Object Lock: enabled, default GOVERNANCE for 1 days');
    expect(md).toContain('| _control/deletions/x.json | 2026-03-01T12:00:00.000Z | 2 | valid |');
    expect(md).toContain('(2 more: run Q13 to list them all)');
    expect(md).toContain('3 GAPS');
    expect(md).toContain('| standard (default) | 365 | none | 12 | 2026-03-01T10:00:00.000Z | 5 / 12 |');
    expect(md).toContain('Object Lock: enabled, default GOVERNANCE for 1 days');
    expect(md).toContain('| _control/deletions/x.json | 2026-03-01T12:00:00.000Z | 2 | valid |');
    expect(md).toContain('(2 more: run Q13 to list them all)');
  });

  it('keeps event values inside their table cell, control characters made visible', () => {
    expect(renderMarkdown(fixture({ tenant: 'a\u0000b\nc' }))).toContain('Scope: tenant a\uFFFDb');
    expect(md).toContain('<script>alert(1)</script>\\|pipe');
    expect(md).not.toContain('</script>|pipe');
  });
});

describe('summary', () => {
  it('judges each section, and a control by the sections evidencing it', () => {
    const { summary } = fixture();
    expect(summary.sections.map((s) => [s.section, s.ok])).toEqual([
      ['activity', true],
      ['completeness', false],
      ['integrity', false],
      ['retention', true],
      ['loss', false],
    ]);
    // CC6.1: activity and completeness; CC6.2: activity only; CC7.2: activity, loss, integrity, retention.
    expect(summary.controls).toEqual([
      { id: 'CC6.1', ok: false, problems: ['completeness'] },
      { id: 'CC6.2', ok: true, problems: [] },
      { id: 'CC7.2', ok: false, problems: ['loss', 'integrity'] },
    ]);
    const md = renderMarkdown(fixture());
    expect(md).toContain('Result: PROBLEM in Loss accounting, Integrity.');
    expect(md).toContain('Result: every section evidencing it found no problem.');
  });
});

describe('HTML', () => {
  const html = renderHtml(fixture());

  it('is one self-contained document with a cover, contents, charts and every section', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('class="cover"');
    for (const id of [
      'summary',
      'controls',
      'activity',
      'completeness',
      'integrity',
      'retention',
      'loss',
      'queries',
    ])
      expect(html).toContain(`<a href="#${id}">`);
    for (const title of Object.values(SECTION_TITLES)) expect(html).toContain(title.replace('(', '('));
    expect(html.match(/<svg /g)?.length).toBe(3);
    expect(html).not.toMatch(/<script|src="http|href="http/);
    expect(html).toContain('<h3 id="Q1">Q1</h3>');
  });

  it('escapes every value from the events', () => {
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;|pipe');
  });

  it('charts scale to the largest value and stack outcomes', () => {
    const bars = barChart(
      [
        { key: 'a', count: 10 },
        { key: 'b', count: 5 },
      ],
      'T',
    );
    const widths = [...bars.matchAll(/<rect x="180" y="\d+" width="(\d+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(2);
    expect(widths[0]).toBe(2 * (widths[1] as number));
    const columns = stackedColumns([{ start: 's', total: 3, byOutcome: { success: 2, failure: 1 } }], 'T');
    expect(columns.match(/fill="#2e7d32"><title>s: 2 success/g)).toHaveLength(1);
    expect(columns.match(/fill="#c62828"><title>s: 1 failure/g)).toHaveLength(1);
  });
});

describe('JSON', () => {
  it('is the report object itself', async () => {
    const report = fixture({ tenant: null });
    expect(JSON.parse((await renderReport(report, 'json')).toString())).toEqual(report);
  });
});
