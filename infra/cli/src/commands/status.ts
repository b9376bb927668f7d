import { setTimeout as sleep } from 'node:timers/promises';
import { PROMETHEUS_URL, resolvePaths, SCRAPE_TARGETS } from '@auditflow/stack';
import { Command, InvalidArgumentError } from 'commander';
import { type Deployment, pipelineFor, runningDeployment } from '../pipeline.ts';
import {
  type AlertStatus,
  alertsFromStages,
  exitCodeOf,
  parseMetrics,
  renderStatus,
  STATUS_QUERIES,
  type StageCounts,
  type StageStatus,
  type StatusReport,
  stageCounts,
  stateFrom,
} from '../status.ts';

const TIMEOUT_MS = 3000;
/** Without Prometheus, the rate is the difference of two scrapes this far apart. */
const SCRAPE_GAP_MS = 2000;

interface Stage {
  /** The service's name (fused, sanitizer, indexer...). */
  readonly name: string;
  /** Prometheus's job for it (infra/stack SCRAPE_TARGETS: the stage by its usual port). */
  readonly job: string;
  readonly port: number;
}

function stagesOf(deployment: Deployment, offset: number): Stage[] {
  return pipelineFor(deployment).flatMap((s) => {
    if (s.port === undefined) return [];
    const job = SCRAPE_TARGETS.find((t) => t.port === s.port)?.job ?? s.name;
    return [{ name: s.name, job, port: s.port + offset }];
  });
}

async function get(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}

async function readyz(port: number): Promise<{ status: number; reasons: string[] } | undefined> {
  const res = await get(`http://127.0.0.1:${port}/readyz`);
  if (!res) return undefined;
  let reasons: string[] = [];
  try {
    const body = JSON.parse(res.body) as { reasons?: unknown };
    if (Array.isArray(body.reasons)) reasons = body.reasons.filter((r): r is string => typeof r === 'string');
  } catch {
    // a /readyz without JSON: its status is the answer
  }
  if (res.status !== 200 && reasons.length === 0) reasons = [`/readyz answered ${res.status}`];
  return { status: res.status, reasons };
}

/** One value per job from an instant query; undefined when Prometheus does not answer it. */
async function queryByJob(prometheus: string, query: string): Promise<Map<string, number> | undefined> {
  const res = await get(`${prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
  if (res?.status !== 200) return undefined;
  const body = JSON.parse(res.body) as {
    data?: { result?: { metric: Record<string, string>; value: [number, string] }[] };
  };
  const values = new Map<string, number>();
  for (const r of body.data?.result ?? []) values.set(r.metric.job ?? '', Number(r.value[1]));
  return values;
}

async function prometheusAlerts(prometheus: string): Promise<AlertStatus[]> {
  const res = await get(`${prometheus}/api/v1/alerts`);
  if (res?.status !== 200) return [];
  const body = JSON.parse(res.body) as {
    data?: {
      alerts?: {
        labels: Record<string, string>;
        annotations?: Record<string, string>;
        state: string;
        activeAt?: string;
      }[];
    };
  };
  return (body.data?.alerts ?? [])
    .filter((a) => a.state === 'firing' || a.state === 'pending')
    .map((a) => ({
      name: a.labels.alertname ?? '?',
      state: a.state as 'firing' | 'pending',
      stage: a.labels.job,
      severity: a.labels.severity,
      summary: a.annotations?.summary,
      since: a.activeAt,
    }));
}

async function fromPrometheus(
  prometheus: string,
  stages: readonly Stage[],
): Promise<StatusReport | undefined> {
  if ((await get(`${prometheus}/-/ready`))?.status !== 200) return undefined;
  const [ready, up, rate, lag, lastProgress, dead, alerts] = await Promise.all([
    Promise.all(stages.map((s) => readyz(s.port))),
    queryByJob(prometheus, STATUS_QUERIES.up),
    queryByJob(prometheus, STATUS_QUERIES.rate),
    queryByJob(prometheus, STATUS_QUERIES.lag),
    queryByJob(prometheus, STATUS_QUERIES.lastProgress),
    queryByJob(prometheus, STATUS_QUERIES.deadLastHour),
    prometheusAlerts(prometheus),
  ]);
  const statuses = stages.map((s, i): StageStatus => {
    const r = ready[i];
    const reasons = r ? r.reasons : [`nothing answers on port ${s.port}`];
    if (!r && up?.get(s.job) === 0) reasons.push('Prometheus cannot scrape it either (up == 0)');
    return {
      stage: s.name,
      port: s.port,
      state: stateFrom(r),
      reasons,
      ratePerS: rate?.get(s.job),
      lag: lag?.get(s.job),
      lastProgressAgoS: lastProgress?.get(s.job),
      dead: dead?.get(s.job) ?? (rate?.has(s.job) ? 0 : undefined),
    };
  });
  return {
    at: new Date().toISOString(),
    source: 'prometheus',
    prometheus,
    deadWindow: 'last hour',
    stages: statuses,
    alerts,
  };
}

/** Counts of the previous round, so `--watch` without Prometheus rates over its own interval. */
type Previous = Map<string, { counts: StageCounts; atMs: number }>;

async function fromServices(stages: readonly Stage[], previous: Previous): Promise<StatusReport> {
  const scrapeStage = async (s: Stage) => {
    const res = await get(`http://127.0.0.1:${s.port}/metrics`);
    if (res?.status !== 200) return undefined;
    return { counts: stageCounts(parseMetrics(res.body), s.job), atMs: Date.now() };
  };
  const first = await Promise.all(stages.map((s) => previous.get(s.name) ?? scrapeStage(s)));
  if (previous.size === 0) await sleep(SCRAPE_GAP_MS);
  const [second, ready] = await Promise.all([
    Promise.all(stages.map(scrapeStage)),
    Promise.all(stages.map((s) => readyz(s.port))),
  ]);
  const nowS = Date.now() / 1000;
  const statuses = stages.map((s, i): StageStatus => {
    const a = first[i];
    const b = second[i];
    if (b) previous.set(s.name, b);
    const r = ready[i];
    return {
      stage: s.name,
      port: s.port,
      state: stateFrom(r),
      reasons: r ? r.reasons : [`nothing answers on port ${s.port}`],
      ratePerS:
        a && b && b.atMs > a.atMs
          ? (b.counts.finished - a.counts.finished) / ((b.atMs - a.atMs) / 1000)
          : undefined,
      lag: b?.counts.lag,
      lastProgressAgoS: b?.counts.lastProgressS === undefined ? undefined : nowS - b.counts.lastProgressS,
      dead: b?.counts.dead,
    };
  });
  return {
    at: new Date().toISOString(),
    source: 'services',
    deadWindow: 'since start',
    stages: statuses,
    alerts: alertsFromStages(statuses),
  };
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number of 0 or more');
  return n;
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1) throw new InvalidArgumentError('at least 1 (seconds)');
  return n;
}

export function statusCommand(): Command {
  return new Command('status')
    .description(
      "every stage at a glance: state, rate, lag, last progress, dead letters in the last hour, and the alerts that fire (from Prometheus when it answers, else from the services' own endpoints); exits 1 when a stage is not ready or an alert fires",
    )
    .option('--json', 'print the report as JSON (one object per refresh with --watch)')
    .option('-w, --watch [seconds]', 'refresh every N seconds until Ctrl-C (default 5)')
    .option(
      '--prometheus <url>',
      `the Prometheus to ask ('none': the services only); default $PROMETHEUS_URL or ${PROMETHEUS_URL}`,
    )
    .option('--split', 'the services of `up --split` (default: the deployment an `up` started, else fused)')
    .option('--port-offset <n>', 'the services listen on their usual ports plus n', nonNegativeInt, 0)
    .action(
      async (options: {
        json?: boolean;
        watch?: boolean | string;
        prometheus?: string;
        split?: boolean;
        portOffset: number;
      }) => {
        const deployment: Deployment = options.split
          ? 'split'
          : (runningDeployment(resolvePaths()) ?? 'fused');
        const stages = stagesOf(deployment, options.portOffset);
        const prometheusOption = options.prometheus ?? process.env.PROMETHEUS_URL ?? PROMETHEUS_URL;
        const prometheus = prometheusOption === 'none' ? undefined : prometheusOption.replace(/\/+$/, '');
        const previous: Previous = new Map();
        const collect = async (): Promise<StatusReport> =>
          (prometheus ? await fromPrometheus(prometheus, stages) : undefined) ??
          (await fromServices(stages, previous));
        const print = (report: StatusReport): void => {
          // null, not a missing key, for what is unknown (a stage that does not answer has no rate).
          process.stdout.write(
            options.json
              ? `${JSON.stringify(report, (_key, value: unknown) => value ?? null)}\n`
              : renderStatus(report),
          );
        };
        if (options.watch === undefined) {
          const report = await collect();
          print(report);
          process.exitCode = exitCodeOf(report);
          return;
        }
        const everyS = typeof options.watch === 'string' ? positiveSeconds(options.watch) : 5;
        process.once('SIGINT', () => process.exit(0));
        for (;;) {
          const report = await collect();
          // Clear the screen and home the cursor, so the screen is the report, not a scroll.
          if (!options.json) process.stdout.write('\x1b[2J\x1b[H');
          print(report);
          if (!options.json) process.stdout.write(`\nrefreshing every ${everyS} s; Ctrl-C to stop\n`);
          await sleep(everyS * 1000);
        }
      },
    );
}
