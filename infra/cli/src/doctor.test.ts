import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkConfig, formatResult, serviceResult, settingProblems, usable, verdict } from './doctor.ts';

const good = {
  KAFKA_BROKERS: '127.0.0.1:9092,10.0.0.2:9092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  ELASTICSEARCH_URL: 'https://es.internal:9200',
  S3_ENDPOINT: 'http://127.0.0.1:9000',
  S3_BUCKET: 'audit-archive',
  AWS_ACCESS_KEY_ID: 'auditflow',
  AWS_SECRET_ACCESS_KEY: 'a-long-secret-key',
  AWS_REGION: 'us-east-1',
  AUDITFLOW_GATEWAY_TOKEN: 'afgw_0123456789abcdef',
  AUDITFLOW_QUERY_TOKEN: 'afq_0123456789abcdef',
  AUDITFLOW_PSEUDONYM_KEY: 'ab'.repeat(32),
  AUDITFLOW_REDACTION_KEY: 'cd'.repeat(32),
};
const noFiles = () => false;

describe('checkConfig', () => {
  it('is one ok line when every setting is valid, counting those from the local stack', () => {
    const results = checkConfig(good, noFiles, new Set(['KAFKA_BROKERS', 'S3_BUCKET']));
    expect(results).toEqual([
      {
        name: 'config',
        level: 'ok',
        detail: '12 settings valid (2 from the local stack; the environment overrides them)',
      },
    ]);
  });

  it('names a missing setting, who needs it and the fix', () => {
    const { KAFKA_BROKERS: _, ...env } = good;
    const [result] = checkConfig(env, noFiles);
    expect(result).toMatchObject({ name: 'config KAFKA_BROKERS', level: 'fail' });
    expect(result?.detail).toContain('not set (needed by every service)');
    expect(result?.fix).toContain('127.0.0.1:9092');
  });

  it('names each bad value, one result per setting', () => {
    const results = checkConfig(
      { ...good, KAFKA_BROKERS: 'localhost', ELASTICSEARCH_URL: 'es:9200', AUDITFLOW_EXPORT_CAP: '-3' },
      noFiles,
    );
    expect(results.map((r) => r.name)).toEqual([
      'config KAFKA_BROKERS',
      'config ELASTICSEARCH_URL',
      'config AUDITFLOW_EXPORT_CAP',
    ]);
    expect(results[0]?.detail).toContain("'localhost' must be comma-separated host:port pairs");
    expect(results.every((r) => r.level === 'fail' && r.fix)).toBe(true);
  });

  it('checks the window, system tenant and budget settings', () => {
    const results = checkConfig(
      {
        ...good,
        AUDITFLOW_OCCURRED_AT_MAX_AHEAD: 'tomorrow',
        AUDITFLOW_SYSTEM_TENANT: 'Audit/Flow',
        AUDITFLOW_SANITIZER_EVENT_BUDGET_MS: '5',
      },
      noFiles,
    );
    expect(results.map((r) => r.name)).toEqual([
      'config AUDITFLOW_OCCURRED_AT_MAX_AHEAD',
      'config AUDITFLOW_SYSTEM_TENANT',
      'config AUDITFLOW_SANITIZER_EVENT_BUDGET_MS',
    ]);
    expect(checkConfig({ ...good, AUDITFLOW_OCCURRED_AT_MAX_BEHIND: '90d' }, noFiles)[0]?.level).toBe('ok');
  });

  it('never echoes a secret back, only its length', () => {
    const [result] = checkConfig({ ...good, AUDITFLOW_GATEWAY_TOKEN: 'short-secret' }, noFiles);
    expect(result?.detail).not.toContain('short-secret');
    expect(result?.detail).toContain('(12 characters) must be at least 16 characters');
  });

  it('accepts a file instead of a token or key, and checks that the file exists', () => {
    const { AUDITFLOW_GATEWAY_TOKEN: _t, AUDITFLOW_PSEUDONYM_KEY: _k, ...env } = good;
    const files = {
      ...env,
      AUDITFLOW_GATEWAY_CLIENTS_FILE: '/etc/auditflow/clients.json',
      AUDITFLOW_PSEUDONYM_KEY_FILE: '/run/secrets/key',
    };
    expect(checkConfig(files, () => true)[0]?.level).toBe('ok');
    const missing = checkConfig(files, (p) => p !== '/run/secrets/key');
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatchObject({ name: 'config AUDITFLOW_PSEUDONYM_KEY_FILE', level: 'fail' });
    expect(missing[0]?.detail).toContain('/run/secrets/key does not exist');
  });

  it('rejects an index prefix Kibana and the query API would not find', () => {
    const [result] = checkConfig({ ...good, AUDITFLOW_INDEX_PREFIX: 'events' }, noFiles);
    expect(result).toMatchObject({ name: 'config AUDITFLOW_INDEX_PREFIX', level: 'fail' });
  });
});

describe('usable', () => {
  it('is false only for settings that failed', () => {
    const results = checkConfig({ ...good, KAFKA_BROKERS: 'x' }, noFiles);
    expect(usable(results, 'KAFKA_BROKERS')).toBe(false);
    expect(usable(results, 'ELASTICSEARCH_URL', 'S3_ENDPOINT')).toBe(true);
  });
});

describe('verdict', () => {
  it('fails on any fail; warnings and skips do not fail the run', () => {
    const ok = verdict([
      { name: 'a', level: 'ok', detail: '' },
      { name: 'b', level: 'warn', detail: '' },
      { name: 'c', level: 'skip', detail: '' },
    ]);
    expect(ok).toEqual({ ok: true, exitCode: 0, counts: { ok: 1, warn: 1, fail: 0, skip: 1 } });
    const bad = verdict([
      { name: 'a', level: 'ok', detail: '' },
      { name: 'b', level: 'fail', detail: '' },
    ]);
    expect(bad.ok).toBe(false);
    expect(bad.exitCode).toBe(1);
  });
});

describe('serviceResult', () => {
  it('reads nothing listening as not running (a warning), not as an error', () => {
    const r = serviceResult('indexer', 8073, { error: 'connect ECONNREFUSED 127.0.0.1:8073' }, '/x.log');
    expect(r).toMatchObject({ name: 'service indexer', level: 'warn' });
    expect(r.detail).toContain('not running');
    expect(r.fix).toContain('pnpm auditflow up');
  });

  it('fails a running service that is not ready and points at its log', () => {
    const r = serviceResult('indexer', 8073, { status: 503 }, '/run/indexer.log');
    expect(r.level).toBe('fail');
    expect(r.fix).toContain('/run/indexer.log');
    expect(serviceResult('indexer', 8073, { status: 200 }, '/x').level).toBe('ok');
  });

  it('fails a service that accepts connections but does not answer', () => {
    expect(
      serviceResult('gateway', 8070, { error: 'The operation was aborted due to timeout' }, '/x').level,
    ).toBe('fail');
  });
});

describe('formatResult', () => {
  it('prints level, name, detail and the fix on one line', () => {
    const line = formatResult({ name: 'kafka', level: 'fail', detail: 'unreachable', fix: 'start it' }, 8);
    expect(line).toBe('fail  kafka     unreachable  -> start it');
    expect(line).not.toContain('\n');
  });
});

describe("checkConfig reads the services' own settings schemas", () => {
  it('names the service, the variable and the rule of each problem', () => {
    const problems = settingProblems({
      ...good,
      AUDITFLOW_HEALTH_PORT: 'eighty',
      AUDITFLOW_STREAM_BUFFER: '3',
    });
    // Every service with a health port of the shell's refuses it; only the streamer reads the buffer.
    expect(problems.filter((p) => p.variable === 'AUDITFLOW_HEALTH_PORT').map((p) => p.service)).toEqual([
      'sanitizer',
      'enricher',
      'fused',
      'indexer',
      'archiver',
    ]);
    expect(problems.find((p) => p.variable === 'AUDITFLOW_STREAM_BUFFER')).toEqual({
      service: 'streamer',
      variable: 'AUDITFLOW_STREAM_BUFFER',
      rule: 'at least 10 events',
      missing: false,
    });
    const [buffer] = checkConfig({ ...good, AUDITFLOW_STREAM_BUFFER: '3' }, noFiles);
    expect(buffer).toMatchObject({ name: 'config AUDITFLOW_STREAM_BUFFER', level: 'fail' });
    expect(buffer?.detail).toBe("'3' at least 10 events (read by streamer)");
  });

  it("reports a service's rule as that service declares it, not a list of doctor's own", () => {
    const services = [
      { service: 'one', schema: z.object({ ONE_LIMIT: z.coerce.number().max(5, 'at most 5') }) },
      { service: 'two', schema: z.object({ ONE_LIMIT: z.string().optional(), TWO_URL: z.url('a URL') }) },
    ];
    const results = checkConfig({ ONE_LIMIT: '9', TWO_URL: 'nope' }, noFiles, new Set(), services);
    expect(results.map((r) => [r.name, r.detail])).toEqual([
      ['config ONE_LIMIT', "'9' at most 5 (read by one)"],
      ['config TWO_URL', "'nope' a URL (read by two)"],
    ]);
    expect(checkConfig({ ONE_LIMIT: '4', TWO_URL: 'http://x' }, noFiles, new Set(), services)).toEqual([
      { name: 'config', level: 'ok', detail: '2 settings valid' },
    ]);
  });

  it('reads an empty variable as unset, as the services do', () => {
    expect(checkConfig({ ...good, AUDITFLOW_INDEX_PREFIX: '' }, noFiles)[0]?.level).toBe('ok');
    const [missing] = checkConfig({ ...good, ELASTICSEARCH_URL: '' }, noFiles);
    expect(missing).toMatchObject({ name: 'config ELASTICSEARCH_URL', level: 'fail' });
    expect(missing?.detail).toBe('not set (needed by indexer, query-api)');
  });
});
