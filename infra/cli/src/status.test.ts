import { describe, expect, it } from 'vitest';
import {
  alertsFromStages,
  declaredMetricNames,
  exitCodeOf,
  parseMetrics,
  renderStatus,
  type StageStatus,
  type StatusReport,
  stageCounts,
  stateFrom,
} from './status.ts';

const SCRAPE = `# HELP auditflow_processor_events_total Input events by outcome
# TYPE auditflow_processor_events_total counter
auditflow_processor_events_total{outcome="forwarded"} 468
auditflow_processor_events_total{outcome="dead-lettered"} 3
auditflow_processor_events_total{outcome="quarantined"} 2
# TYPE auditflow_processor_batch_seconds histogram
auditflow_processor_batch_seconds_bucket{le="0.1"} 5
auditflow_processor_batch_seconds_sum 5.3
# TYPE auditflow_stage_input_pending_events gauge
auditflow_stage_input_pending_events{partition="0"} 10
auditflow_stage_input_pending_events{partition="1"} 5
auditflow_stage_last_progress_timestamp_seconds{partition="0"} 1000
auditflow_stage_last_progress_timestamp_seconds{partition="1"} 1200.5
auditflow_stage_stalled_partitions 1
audit_events_delivered_total 7
weird{a="x\\"y,z",b="2"} 4
broken{a=unquoted} 9
`;

describe('parseMetrics', () => {
  it('reads names, labels (with escapes) and values, and skips comments and malformed lines', () => {
    const samples = parseMetrics(SCRAPE);
    expect(samples.find((s) => s.name === 'weird')).toEqual({
      name: 'weird',
      labels: { a: 'x"y,z', b: '2' },
      value: 4,
    });
    expect(samples.some((s) => s.name === 'broken')).toBe(false);
    expect(samples.find((s) => s.name === 'auditflow_stage_stalled_partitions')?.value).toBe(1);
  });

  it('takes a long line of label pairs in one pass', () => {
    const line = `m{${Array.from({ length: 20_000 }, (_, i) => `l${i}="${'v'.repeat(5)}"`).join(',')}} 1`;
    const started = performance.now();
    expect(parseMetrics(line)[0]?.value).toBe(1);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('declaredMetricNames', () => {
  it('lists every # TYPE name, with the series names of histograms', () => {
    const names = declaredMetricNames(SCRAPE);
    expect(names).toContain('auditflow_processor_events_total');
    expect(names).toContain('auditflow_processor_batch_seconds_bucket');
    expect(names).toContain('auditflow_processor_batch_seconds_count');
    expect(names).not.toContain('weird');
  });
});

describe('stageCounts', () => {
  it('counts finished and dead events, lag, newest progress and stalls as the recording rules do', () => {
    const counts = stageCounts(parseMetrics(SCRAPE), 'processor');
    expect(counts).toEqual({ finished: 473, dead: 5, lag: 15, lastProgressS: 1200.5, stalledPartitions: 1 });
    // The SDK's delivered counter is the gateway's output only.
    expect(stageCounts(parseMetrics(SCRAPE), 'gateway').finished).toBe(480);
  });
});

const stage = (over: Partial<StageStatus>): StageStatus => ({
  stage: 'archiver',
  port: 8074,
  state: 'ready',
  reasons: [],
  ratePerS: 12.34,
  lag: 1234,
  lastProgressAgoS: 3,
  dead: 0,
  ...over,
});

describe('state, alerts and exit code', () => {
  it('tells stalled from otherwise not ready and from down', () => {
    expect(stateFrom(undefined)).toBe('down');
    expect(stateFrom({ status: 200, reasons: [] })).toBe('ready');
    expect(stateFrom({ status: 503, reasons: ['stalled: partition 3 has 9 events waiting'] })).toBe(
      'stalled',
    );
    expect(stateFrom({ status: 503, reasons: ['not ready: starting'] })).toBe('not ready');
  });

  it('raises the stall and down alerts itself without Prometheus', () => {
    const alerts = alertsFromStages([
      stage({ state: 'stalled', reasons: ['stalled: partition 3'] }),
      stage({ stage: 'indexer', port: 8073, state: 'down' }),
      stage({ stage: 'gateway' }),
    ]);
    expect(alerts.map((a) => [a.name, a.stage, a.summary])).toEqual([
      ['AuditflowStageStalled', 'archiver', 'stalled: partition 3'],
      ['AuditflowServiceDown', 'indexer', 'indexer does not answer on port 8073'],
    ]);
  });

  it('exits 1 when a stage is not ready or an alert fires, 0 otherwise', () => {
    const report: StatusReport = {
      at: 't',
      source: 'services',
      deadWindow: 'since start',
      stages: [stage({})],
      alerts: [],
    };
    expect(exitCodeOf(report)).toBe(0);
    expect(exitCodeOf({ ...report, stages: [stage({ state: 'not ready' })] })).toBe(1);
    expect(
      exitCodeOf({
        ...report,
        alerts: [
          {
            name: 'A',
            state: 'pending',
            stage: undefined,
            severity: undefined,
            summary: undefined,
            since: undefined,
          },
        ],
      }),
    ).toBe(0);
  });
});

describe('renderStatus', () => {
  it('prints a row per stage with its reasons under it, then the alerts, escaping control characters', () => {
    const text = renderStatus({
      at: '2026-12-06T05:00:00Z',
      source: 'prometheus',
      prometheus: 'http://127.0.0.1:9090',
      deadWindow: 'last hour',
      stages: [
        stage({ state: 'stalled', reasons: ['stalled: partition 3\x1b[2J'], lastProgressAgoS: 95 }),
        stage({ stage: 'indexer', port: 8073 }),
      ],
      alerts: [
        {
          name: 'AuditflowArchiverNotProgressing',
          state: 'firing',
          stage: 'archiver',
          severity: 'page',
          summary: 'archiver archives nothing',
          since: undefined,
        },
      ],
    });
    expect(text).toContain('from Prometheus http://127.0.0.1:9090');
    expect(text).toMatch(/archiver\s+8074\s+STALLED\s+12\.3\s+1,234\s+95 s ago\s+0/);
    expect(text).toContain('    stalled: partition 3\\x1b[2J');
    expect(text).toMatch(/indexer\s+8073\s+ready/);
    expect(text).toContain('ALERTS: 1 firing, 0 pending');
    expect(text).toMatch(
      /firing\s+AuditflowArchiverNotProgressing\s+archiver\s+page\s+archiver archives nothing/,
    );
  });
});
