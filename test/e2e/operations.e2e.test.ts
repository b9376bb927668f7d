/**
 * Operations end to end (issue 20): the pipeline's services as processes, a Prometheus of this
 * test's own scraping them with the rules of infra/prometheus, and traffic flowing. Every metric
 * name the Grafana dashboard and the recording rules read is one a service really exposes. Two
 * permanent failures planted while events keep coming: the indexer frozen with SIGSTOP (it cannot
 * answer; Prometheus sees events flow in and none indexed), and the archiver's object store
 * frozen with SIGSTOP (the archiver answers, has input waiting and does not move: its /readyz
 * turns not ready with the reason). Both stall alerts fire in the real Prometheus within their
 * rules' windows, and `auditflow status` shows both stages and the alerts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditProducer } from '@auditflow/producer';
import {
  createPrometheusServer,
  loadCredentials,
  PROMETHEUS_CONFIG_DIR,
  resolvePaths,
  runningPid,
  SCRAPE_TARGETS,
  SERVER_SCRAPE_TARGETS,
  type StackPaths,
  startServer,
  stopServer,
} from '@auditflow/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusReport } from '../../infra/cli/src/status.ts';
import { declaredMetricNames } from '../../infra/cli/src/status.ts';
import { runCli } from '../support/cli.ts';
import { dedicatedS3 } from '../support/dedicated-servers.ts';
import { createTopicsAndSchemas, rawTopicProducer } from '../support/e2e-setup.ts';
import { endpoints } from '../support/endpoints.ts';
import { sampleEvent } from '../support/events.ts';
import { pipelineOnPorts, ServiceProcess } from '../support/pipeline-services.ts';
import { PROMETHEUS_SERIES, promqlMetricNames } from '../support/promql.ts';

/**
 * Ports of their own (usual port + 21000, below Linux's ephemeral range): `auditflow up`, the
 * chaos (+13000), hostile (+16000), redaction (+18000) tests and pnpm chaos (+20000) use others.
 */
const OFFSET = 21_000;
const PROMETHEUS_PORT = 9090 + OFFSET;
const prometheusUrl = `http://127.0.0.1:${PROMETHEUS_PORT}`;
const logs = mkdtempSync(join(tmpdir(), 'operations-e2e-logs-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...endpoints(),
  AUDITFLOW_ARCHIVE_PREFIX: `operations-e2e-${Date.now()}/`,
};
const specs = pipelineOnPorts(OFFSET, 'fused');
/** The archiver's object store, of this test's own: it is frozen mid-stream. */
const s3 = dedicatedS3(9000 + OFFSET);
const STALL_SECONDS = 30;
/** The archiver writes to the dedicated store, rolls often, and calls 30 s without progress a stall. */
const archiverEnv = (): Record<string, string> => {
  const credentials = loadCredentials(s3.paths);
  return {
    S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: credentials.s3AccessKey,
    AWS_SECRET_ACCESS_KEY: credentials.s3SecretKey,
    AUDITFLOW_ARCHIVE_ROLL_SECONDS: '5',
    AUDITFLOW_STALL_SECONDS: String(STALL_SECONDS),
  };
};
// A spool of its own per service: an SDK spool belongs to one producer process.
const services = specs.map((spec) => {
  const spool = mkdtempSync(join(tmpdir(), `operations-e2e-${spec.name}-spool-`));
  const own = (): Record<string, string> => (spec.name === 'archiver' ? archiverEnv() : {});
  return new ServiceProcess(spec, {
    logDir: logs,
    env: () => ({ ...env, AUDITFLOW_SPOOL_DIR: spool, ...own() }),
  });
});
/** SIGSTOP / SIGCONT of the dedicated MinIO (its pid file: <run>/s3/s3.pid). */
const signalS3 = (signal: NodeJS.Signals): void => {
  const pid = runningPid(join(s3.paths.run, 's3', 's3.pid'));
  if (pid !== undefined) process.kill(pid, signal);
};
const service = (name: string): ServiceProcess => services.find((s) => s.name === name) as ServiceProcess;
const prometheusPaths: StackPaths = {
  cache: resolvePaths().cache,
  run: mkdtempSync(join(tmpdir(), 'operations-e2e-prometheus-')),
};
const prometheus = createPrometheusServer({
  port: PROMETHEUS_PORT,
  targets: SCRAPE_TARGETS.map((t) => ({ job: t.job, port: t.port + OFFSET })),
});

/** The `expr` values of a rules file (single-line or folded `>-` blocks). */
function ruleExpressions(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const exprs: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)expr: (.*)$/.exec(lines[i] ?? '');
    if (!m) continue;
    const [, indent = '', value = ''] = m;
    if (value !== '>-' && value !== '|') {
      exprs.push(value);
      continue;
    }
    const body: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1] ?? '').startsWith(`${indent}  `))
      body.push((lines[++i] ?? '').trim());
    exprs.push(body.join(' '));
  }
  return exprs;
}

async function query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return body.data.result;
}

async function alertState(name: string): Promise<string | undefined> {
  const res = await fetch(`${prometheusUrl}/api/v1/alerts`);
  const body = (await res.json()) as {
    data: { alerts: { labels: Record<string, string>; state: string }[] };
  };
  const states = body.data.alerts.filter((a) => a.labels.alertname === name).map((a) => a.state);
  return states.includes('firing') ? 'firing' : states[0];
}

async function statusReport(): Promise<{ code: number; report: StatusReport }> {
  const result = await runCli(
    ['status', '--json', '--prometheus', prometheusUrl, '--port-offset', String(OFFSET)],
    env,
  );
  return { code: result.code, report: JSON.parse(result.stdout) as StatusReport };
}

let producer: AuditProducer | undefined;
let traffic: NodeJS.Timeout | undefined;
let emitted = 0;

describe('operations: Prometheus, rules, dashboard and status against the running pipeline', () => {
  beforeAll(async () => {
    await createTopicsAndSchemas(env);
    await s3.start();
    for (const s of services) await s.start();
    await startServer(prometheus, prometheusPaths);
    producer = rawTopicProducer('operations-e2e-sdk-');
    // 20 events a second for the whole file: the input that keeps growing while a stage is frozen.
    traffic = setInterval(() => {
      for (let i = 0; i < 4; i++) producer?.emit(sampleEvent(emitted++, { tenant_id: 'operations-e2e' }));
    }, 200);
  }, 360_000);

  afterAll(async () => {
    if (traffic) clearInterval(traffic);
    await producer?.close();
    signalS3('SIGCONT');
    await Promise.all(services.map((s) => s.stop()));
    await stopServer(prometheus, prometheusPaths);
    await s3.stop();
  }, 120_000);

  it('finds every metric the dashboard and the recording rules read in a live scrape of the services', async () => {
    const exposed = new Set<string>(PROMETHEUS_SERIES);
    for (const spec of specs) {
      const text = await (await fetch(`http://127.0.0.1:${spec.port}/metrics`)).text();
      for (const name of declaredMetricNames(text)) exposed.add(name);
    }
    // The servers' (the shared stack's broker agent, registry and Elasticsearch exporter, which
    // this test's Prometheus scrapes too).
    for (const target of SERVER_SCRAPE_TARGETS) {
      const text = await (await fetch(`http://127.0.0.1:${target.port}/metrics`)).text();
      for (const name of declaredMetricNames(text)) exposed.add(name);
    }
    const recording = readFileSync(join(PROMETHEUS_CONFIG_DIR, 'rules/recording.yml'), 'utf8');
    const recorded = new Set([...recording.matchAll(/^\s*- record: (\S+)\s*$/gm)].map((m) => m[1] as string));
    const ruleNames = ['rules/recording.yml', 'rules/alerts.yml'].flatMap((f) =>
      ruleExpressions(join(PROMETHEUS_CONFIG_DIR, f)).flatMap(promqlMetricNames),
    );
    const dashboard = JSON.parse(
      readFileSync(join(PROMETHEUS_CONFIG_DIR, 'grafana/dashboards/auditflow-pipeline.json'), 'utf8'),
    ) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const dashboardExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(dashboardExprs.length).toBeGreaterThan(40);
    const dashboardNames = dashboardExprs.flatMap(promqlMetricNames);
    const unknown = [...new Set([...dashboardNames, ...ruleNames])].filter(
      (n) => !exposed.has(n) && !recorded.has(n),
    );
    expect(unknown).toEqual([]);
    // The check would catch a name the services do not expose.
    expect(promqlMetricNames('rate(auditflow_no_such_total{job="x"}[1m])')).toEqual([
      'auditflow_no_such_total',
    ]);
  });

  it('scrapes every service and evaluates the rules without errors', async () => {
    const deadline = Date.now() + 60_000;
    let up: Record<string, string> = {};
    while (Date.now() < deadline) {
      up = Object.fromEntries((await query('up')).map((r) => [r.metric.job ?? '', r.value[1]]));
      if (specs.every((s) => up[SCRAPE_TARGETS.find((t) => t.port + OFFSET === s.port)?.job ?? ''] === '1'))
        break;
      await sleep(2_000);
    }
    for (const spec of specs)
      expect(up[SCRAPE_TARGETS.find((t) => t.port + OFFSET === spec.port)?.job ?? '']).toBe('1');
    const rules = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    const unhealthy = rules.data.groups.flatMap((g) => g.rules).filter((r) => r.health === 'err');
    expect(unhealthy).toEqual([]);
  });

  it(
    'fires the stall alerts in Prometheus for a frozen indexer and an archiver whose store froze, /readyz gives the reason, status shows both',
    async () => {
      const indexer = service('indexer');
      const archiverPort = specs.find((s) => s.name === 'archiver')?.port as number;
      // Events reach the index and the archive before the freeze: the rules see both working.
      const flowing = Date.now() + 120_000;
      let before = await statusReport();
      const row = (report: StatusReport, stage: string) => report.stages.find((s) => s.stage === stage);
      const working = () =>
        (row(before.report, 'indexer')?.ratePerS ?? 0) > 0 &&
        (row(before.report, 'archiver')?.ratePerS ?? 0) > 0;
      while (Date.now() < flowing && !working()) {
        await sleep(3_000);
        before = await statusReport();
      }
      expect(before.report.source).toBe('prometheus');
      expect(row(before.report, 'indexer')?.state).toBe('ready');
      expect(row(before.report, 'indexer')?.ratePerS).toBeGreaterThan(0);
      expect(row(before.report, 'archiver')?.state).toBe('ready');
      expect(row(before.report, 'archiver')?.ratePerS).toBeGreaterThan(0);

      indexer.signal('SIGSTOP');
      signalS3('SIGSTOP');
      const frozenAt = Date.now();
      try {
        // The archiver still answers: after AUDITFLOW_STALL_SECONDS with input waiting, not ready.
        let readyz: { status: number; body: { ready: boolean; reasons?: string[] } } | undefined;
        while (Date.now() < frozenAt + 3 * 60_000) {
          const res = await fetch(`http://127.0.0.1:${archiverPort}/readyz`, {
            signal: AbortSignal.timeout(5_000),
          });
          readyz = { status: res.status, body: (await res.json()) as { ready: boolean; reasons?: string[] } };
          if (readyz.status === 503) break;
          await sleep(2_000);
        }
        expect(readyz?.status).toBe(503);
        expect(readyz?.body.reasons?.[0]).toMatch(
          /^stalled: partition \d+ has \d+ events waiting and no progress for \d+ s \(limit 30 s, AUDITFLOW_STALL_SECONDS\)$/,
        );
        expect((Date.now() - frozenAt) / 1000).toBeGreaterThanOrEqual(STALL_SECONDS);

        // Prometheus: the archiver's own stall gauge (its `for`: 1 min), and for the indexer, which
        // cannot answer, events flowing in with none indexed (2 min of rate, then 2 min `for`);
        // the margin covers scrape and evaluation intervals on a loaded machine.
        const deadline = frozenAt + 8 * 60_000;
        const firing = new Map<string, number>();
        while (Date.now() < deadline && firing.size < 2) {
          for (const name of ['AuditflowStageStalled', 'AuditflowIndexerNotProgressing']) {
            if (!firing.has(name) && (await alertState(name)) === 'firing')
              firing.set(name, (Date.now() - frozenAt) / 1000);
          }
          await sleep(5_000);
        }
        expect([...firing.keys()].sort()).toEqual([
          'AuditflowIndexerNotProgressing',
          'AuditflowStageStalled',
        ]);
        // Not before the `for` windows could have run.
        expect(firing.get('AuditflowStageStalled')).toBeGreaterThan(60);
        expect(firing.get('AuditflowIndexerNotProgressing')).toBeGreaterThan(2 * 60);
        process.stderr.write(
          `[operations e2e] firing after SIGSTOP: ${[...firing].map(([n, s]) => `${n} ${s.toFixed(0)} s`).join(', ')}\n`,
        );

        const during = await statusReport();
        expect(during.code).toBe(1);
        expect(row(during.report, 'indexer')?.state).toBe('down');
        expect(row(during.report, 'indexer')?.reasons.join(' ')).toMatch(/nothing answers on port/);
        expect(row(during.report, 'archiver')?.state).toBe('stalled');
        expect(row(during.report, 'archiver')?.reasons[0]).toMatch(
          /^stalled: partition \d+ has \d+ events waiting/,
        );
        expect(row(during.report, 'archiver')?.lag).toBeGreaterThan(0);
        const alerts = during.report.alerts
          .filter((a) => a.state === 'firing')
          .map((a) => `${a.name}/${a.stage}`);
        expect(alerts).toEqual(
          expect.arrayContaining([
            'AuditflowIndexerNotProgressing/indexer',
            'AuditflowStageStalled/archiver',
          ]),
        );
        // The stages upstream keep working meanwhile.
        expect(row(during.report, 'fused')?.state).toBe('ready');
      } finally {
        // Thawed, the indexer may find its group moved on and exit (`up` restarts it); afterAll
        // stops whatever is left.
        indexer.signal('SIGCONT');
        signalS3('SIGCONT');
      }
    },
    14 * 60_000,
  );
});
