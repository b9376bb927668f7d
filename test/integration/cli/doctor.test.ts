import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  exec('node', ['--import', 'tsx', '--conditions=auditflow-source', 'infra/cli/src/main.ts', ...args], {
    env,
    timeout: 60_000,
  });

interface Report {
  ok: boolean;
  counts: Record<string, number>;
  checks: { name: string; level: string; detail: string; fix?: string }[];
}

/** Runs doctor --json; a non-zero exit is a result here, not an exception. */
async function doctor(env: NodeJS.ProcessEnv): Promise<{ code: number; report: Report; stdout: string }> {
  try {
    const { stdout } = await cli(['doctor', '--json'], env);
    return { code: 0, report: JSON.parse(stdout) as Report, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, report: JSON.parse(e.stdout) as Report, stdout: e.stdout };
  }
}

describe('auditflow doctor', () => {
  beforeAll(async () => {
    await cli(['topics', 'create']);
    await cli(['schemas', 'register']);
  });

  it('passes every dependency check against the running stack', async () => {
    const { code, report } = await doctor(process.env);
    const level = (name: string) => report.checks.find((c) => c.name === name)?.level;
    for (const name of [
      'config',
      'kafka',
      'kafka topics',
      'schema registry',
      'schema subjects',
      'elasticsearch',
      's3',
      's3 object lock',
    ]) {
      expect(level(name), name).toBe('ok');
    }
    // A fresh cluster has no template until the indexer first starts: a warning, not a failure.
    expect(['ok', 'warn']).toContain(level('index template'));
    // Services are ready, or not running when `up` was not run; neither fails doctor.
    const services = report.checks.filter((c) => c.name.startsWith('service '));
    expect(services.length).toBeGreaterThanOrEqual(5);
    for (const s of services) expect(['ok', 'warn'], `${s.name}: ${s.detail}`).toContain(s.level);
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
  });

  it('fails, naming the check and the fix, when Kafka is not where KAFKA_BROKERS says', async () => {
    const { code, report } = await doctor({ ...process.env, KAFKA_BROKERS: '127.0.0.1:1' });
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    const kafka = report.checks.find((c) => c.name === 'kafka');
    expect(kafka?.level).toBe('fail');
    expect(kafka?.detail).toContain('127.0.0.1:1');
    expect(kafka?.fix).toContain('KAFKA_BROKERS');
    expect(report.checks.find((c) => c.name === 'kafka topics')?.level).toBe('skip');
    // The other dependencies are still checked.
    expect(report.checks.find((c) => c.name === 'elasticsearch')?.level).toBe('ok');
  });

  it('names a malformed setting and its fix without echoing secrets', async () => {
    const { code, stdout, report } = await doctor({
      ...process.env,
      SCHEMA_REGISTRY_URL: 'registry:8081',
      AUDITFLOW_QUERY_TOKEN: 'tooshort',
    });
    expect(code).toBe(1);
    const names = report.checks.filter((c) => c.level === 'fail').map((c) => c.name);
    expect(names).toEqual(['config SCHEMA_REGISTRY_URL', 'config AUDITFLOW_QUERY_TOKEN']);
    expect(stdout).not.toContain('tooshort');
  });
});
