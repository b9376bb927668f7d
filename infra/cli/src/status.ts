/**
 * The pure half of `auditflow status` (issue 20): what one screen says about every stage, built
 * from Prometheus's answers or, without Prometheus, from the services' own /readyz and /metrics;
 * and how it is printed. The requests live in commands/status.ts.
 */
import { terminalSafe } from './render.ts';

/** The metric names `status` reads from a service (health server and stage counters). */
export const STATUS_METRICS = {
  pending: 'auditflow_stage_input_pending_events',
  lastProgress: 'auditflow_stage_last_progress_timestamp_seconds',
  stalled: 'auditflow_stage_stalled_partitions',
  streamerLag: 'auditflow_streamer_live_lag_messages',
} as const;

/**
 * Counters of finished events per stage (what "rate" means for it) and of its dead letters and
 * quarantined events, with the label values that count (the same as infra/prometheus rules).
 */
export const STAGE_COUNTERS: readonly {
  readonly name: string;
  /** Counts for this stage only (the SDK's counter is in every service that audits itself). */
  readonly stage?: string;
  /** The label whose values `dead` picks out. */
  readonly label?: string;
  readonly dead?: RegExp;
  /** Every event it counts is a dead letter (none is a finished one). */
  readonly allDead?: boolean;
}[] = [
  { name: 'auditflow_processor_events_total', label: 'outcome', dead: /^(dead-lettered|quarantined)$/ },
  {
    name: 'auditflow_indexer_documents_total',
    label: 'result',
    dead: /^(rejected|id_conflict|invalid|undecodable)$/,
  },
  { name: 'auditflow_archiver_events_total', label: 'result', dead: /^(undecodable|invalid|refused)$/ },
  { name: 'auditflow_destination_delivered_events_total' },
  { name: 'auditflow_destination_dead_lettered_total', allDead: true },
  { name: 'audit_events_delivered_total', stage: 'gateway' },
];

/** PromQL `status` asks Prometheus, each answering one value per `job` (the stage). */
export const STATUS_QUERIES = {
  up: 'max by (job) (up)',
  rate: 'auditflow:stage_out_events:rate1m',
  lag: 'auditflow:consumer_lag:events',
  lastProgress: 'time() - max by (job) (auditflow_stage_last_progress_timestamp_seconds)',
  deadLastHour: [
    'sum by (job) (increase(auditflow_processor_events_total{outcome=~"dead-lettered|quarantined"}[1h]))',
    'sum by (job) (increase(auditflow_indexer_documents_total{result=~"rejected|id_conflict|invalid|undecodable"}[1h]))',
    'sum by (job) (increase(auditflow_archiver_events_total{result=~"undecodable|invalid|refused"}[1h]))',
    'sum by (job) (increase(auditflow_destination_dead_lettered_total[1h]))',
  ].join(' or '),
} as const;

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * Samples of a Prometheus text exposition (what /metrics serves). Comments and malformed lines are
 * skipped; a single pass over each line (no backtracking), whatever it holds.
 */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  lines: for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    if (space < 0) continue;
    const labels: Record<string, string> = {};
    let rest: string;
    let name: string;
    if (brace >= 0 && brace < space) {
      name = line.slice(0, brace);
      let i = brace + 1;
      // label="value" pairs; values may hold \" \\ \n escapes
      while (i < line.length && line[i] !== '}') {
        const eq = line.indexOf('=', i);
        if (eq < 0 || line[eq + 1] !== '"') continue lines;
        const key = line.slice(i, eq).replace(/^,/, '').trim();
        let value = '';
        let j = eq + 2;
        for (; j < line.length && line[j] !== '"'; j++) {
          if (line[j] === '\\' && j + 1 < line.length) {
            j++;
            value += line[j] === 'n' ? '\n' : line[j];
          } else value += line[j];
        }
        labels[key] = value;
        i = j + 1;
        if (line[i] === ',') i++;
      }
      rest = line.slice(i + 1).trim();
    } else {
      name = line.slice(0, space);
      rest = line.slice(space + 1).trim();
    }
    const value = Number(rest.split(' ')[0]);
    if (name !== '' && !Number.isNaN(value)) samples.push({ name, labels, value });
  }
  return samples;
}

/** Names a service declares (`# TYPE` lines): its metrics, also those with no sample yet. */
export function declaredMetricNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('# TYPE ')) continue;
    const [name, type] = line.slice('# TYPE '.length).split(' ');
    if (!name) continue;
    names.add(name);
    if (type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

const sum = (samples: readonly Sample[], name: string, keep: (s: Sample) => boolean = () => true) =>
  samples.filter((s) => s.name === name && keep(s)).reduce((total, s) => total + s.value, 0);
const has = (samples: readonly Sample[], name: string) => samples.some((s) => s.name === name);

/** What one scrape of a stage says, counted the way the recording rules count. */
export interface StageCounts {
  readonly finished: number;
  readonly dead: number;
  readonly lag: number | undefined;
  readonly lastProgressS: number | undefined;
  readonly stalledPartitions: number;
}

export function stageCounts(samples: readonly Sample[], stage: string): StageCounts {
  let finished = 0;
  let dead = 0;
  for (const counter of STAGE_COUNTERS) {
    if (counter.stage !== undefined && counter.stage !== stage) continue;
    for (const s of samples) {
      if (s.name !== counter.name) continue;
      if (counter.allDead) {
        dead += s.value;
        continue;
      }
      finished += s.value;
      if (counter.dead && counter.label && counter.dead.test(s.labels[counter.label] ?? '')) dead += s.value;
    }
  }
  const lag = has(samples, STATUS_METRICS.pending)
    ? sum(samples, STATUS_METRICS.pending)
    : has(samples, STATUS_METRICS.streamerLag)
      ? sum(samples, STATUS_METRICS.streamerLag)
      : undefined;
  const progress = samples.filter((s) => s.name === STATUS_METRICS.lastProgress).map((s) => s.value);
  return {
    finished,
    dead,
    lag,
    lastProgressS: progress.length > 0 ? Math.max(...progress) : undefined,
    stalledPartitions: sum(samples, STATUS_METRICS.stalled),
  };
}

export type StageState = 'ready' | 'stalled' | 'not ready' | 'down';

export interface StageStatus {
  readonly stage: string;
  readonly port: number;
  readonly state: StageState;
  /** What /readyz said when not ready, or why it did not answer. */
  readonly reasons: readonly string[];
  /** Events per second the stage finished (1 minute rate, or between two scrapes). */
  readonly ratePerS: number | undefined;
  readonly lag: number | undefined;
  /** Seconds since the stage last finished input (from its progress hook). */
  readonly lastProgressAgoS: number | undefined;
  /** Dead-lettered and quarantined events in the last hour (Prometheus) or since start (services). */
  readonly dead: number | undefined;
}

export interface AlertStatus {
  readonly name: string;
  readonly state: 'firing' | 'pending';
  readonly stage: string | undefined;
  readonly severity: string | undefined;
  readonly summary: string | undefined;
  readonly since: string | undefined;
}

export interface StatusReport {
  readonly at: string;
  /** Where rates, lag and alerts came from. */
  readonly source: 'prometheus' | 'services';
  readonly prometheus?: string;
  /** What `dead` counts: the last hour (Prometheus) or since each service started. */
  readonly deadWindow: 'last hour' | 'since start';
  readonly stages: readonly StageStatus[];
  readonly alerts: readonly AlertStatus[];
}

/** A stage's state from what /readyz answered (undefined: nothing answered). */
export function stateFrom(readyz: { status: number; reasons: readonly string[] } | undefined): StageState {
  if (!readyz) return 'down';
  if (readyz.status === 200) return 'ready';
  return readyz.reasons.some((r) => r.startsWith('stalled')) ? 'stalled' : 'not ready';
}

/** Alerts the services raise themselves, for when no Prometheus answers: stalls and dead stages. */
export function alertsFromStages(stages: readonly StageStatus[]): AlertStatus[] {
  const firing = (name: string, s: StageStatus, summary: string | undefined): AlertStatus => ({
    name,
    state: 'firing',
    stage: s.stage,
    severity: 'page',
    summary,
    since: undefined,
  });
  return stages.flatMap((s): AlertStatus[] => {
    if (s.state === 'stalled') return [firing('AuditflowStageStalled', s, s.reasons[0])];
    if (s.state === 'down')
      return [firing('AuditflowServiceDown', s, `${s.stage} does not answer on port ${s.port}`)];
    return [];
  });
}

/** 0 when every stage is ready and nothing fires; 1 otherwise (for scripts and cron). */
export function exitCodeOf(report: StatusReport): number {
  const unhealthy = report.stages.some((s) => s.state !== 'ready');
  return unhealthy || report.alerts.some((a) => a.state === 'firing') ? 1 : 0;
}

const fmtNumber = (n: number | undefined, digits = 0): string =>
  n === undefined || Number.isNaN(n)
    ? '-'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function fmtAgo(seconds: number | undefined): string {
  if (seconds === undefined || Number.isNaN(seconds)) return '-';
  if (seconds < 120) return `${Math.round(seconds)} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/** The one screen: a row per stage (reasons under it), then the alerts. */
export function renderStatus(report: StatusReport): string {
  const source =
    report.source === 'prometheus'
      ? `rates, lag and alerts from Prometheus ${report.prometheus}`
      : 'without Prometheus: rates from two scrapes of each service, alerts from their /readyz';
  const lines = [`auditflow status at ${report.at} (${source})`, ''];
  const rows: string[][] = [
    ['STAGE', 'PORT', 'STATE', 'RATE/S', 'LAG', 'LAST PROGRESS', `DLQ+QUARANTINE (${report.deadWindow})`],
  ];
  for (const s of report.stages) {
    rows.push([
      s.stage,
      String(s.port),
      s.state === 'ready' ? 'ready' : s.state.toUpperCase(),
      fmtNumber(s.ratePerS, 1),
      fmtNumber(s.lag),
      fmtAgo(s.lastProgressAgoS),
      fmtNumber(s.dead),
    ]);
  }
  const rendered = table(rows);
  lines.push(rendered[0] ?? '');
  report.stages.forEach((s, i) => {
    lines.push(rendered[i + 1] ?? '');
    for (const reason of s.reasons) lines.push(`    ${terminalSafe(reason)}`);
  });
  lines.push('');
  const firing = report.alerts.filter((a) => a.state === 'firing');
  const pending = report.alerts.filter((a) => a.state === 'pending');
  if (report.alerts.length === 0) lines.push('ALERTS: none firing');
  else {
    lines.push(`ALERTS: ${firing.length} firing, ${pending.length} pending`);
    const alertRows = [['STATE', 'ALERT', 'STAGE', 'SEVERITY', 'SUMMARY']];
    for (const a of [...firing, ...pending]) {
      alertRows.push([a.state, a.name, a.stage ?? '-', a.severity ?? '-', terminalSafe(a.summary ?? '')]);
    }
    lines.push(...table(alertRows).map((l) => `  ${l}`));
  }
  return `${lines.join('\n')}\n`;
}
