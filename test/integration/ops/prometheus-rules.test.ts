import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  installPrometheus,
  localPrometheusConfig,
  PROMETHEUS_CONFIG_DIR,
  resolvePaths,
} from '@auditflow/stack';
import { beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const RULES = ['rules/recording.yml', 'rules/alerts.yml'].map((f) => join(PROMETHEUS_CONFIG_DIR, f));
const TESTS = join(PROMETHEUS_CONFIG_DIR, 'tests', 'alerts.test.yml');

/** `- alert: Name` lines of a rules file and `alertname: Name` lines of a test file. */
const names = (text: string, key: string): Set<string> =>
  new Set([...text.matchAll(new RegExp(`^\\s*-?\\s*${key}: (\\w+)\\s*$`, 'gm'))].map((m) => m[1] ?? ''));

let promtool = '';

beforeAll(async () => {
  // Built from the Go module proxy by the stack installer (cached; `stack up` builds it too).
  ({ promtool } = await installPrometheus(resolvePaths()));
}, 900_000);

describe('Prometheus rules (infra/prometheus) with the real promtool', () => {
  it('passes promtool check rules', async () => {
    const { stdout } = await exec(promtool, ['check', 'rules', ...RULES]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('passes every promtool unit test, and every alert has one', async () => {
    const result = await exec(promtool, ['test', 'rules', TESTS]).catch(
      (err: { stdout?: string; stderr?: string }) => {
        throw new Error(`promtool test rules failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      },
    );
    expect(result.stdout).toContain('SUCCESS');
    const alerts = names(readFileSync(join(PROMETHEUS_CONFIG_DIR, 'rules/alerts.yml'), 'utf8'), 'alert');
    const tested = names(readFileSync(TESTS, 'utf8'), 'alertname');
    expect(alerts.size).toBeGreaterThan(10);
    expect([...alerts].filter((alert) => !tested.has(alert))).toEqual([]);
  });

  it('accepts the local stack configuration and the compose one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditflow-prom-'));
    const token = join(dir, 'token');
    writeFileSync(token, 'x');
    const local = join(dir, 'prometheus.yml');
    writeFileSync(local, localPrometheusConfig({ port: 9090, tokenFile: token }));
    await exec(promtool, ['check', 'config', local]);
    await exec(promtool, [
      'check',
      'config',
      '--syntax-only',
      join(PROMETHEUS_CONFIG_DIR, 'compose', 'prometheus.yml'),
    ]);
  });
});
