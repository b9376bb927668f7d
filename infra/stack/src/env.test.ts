import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatEnv, STACK_ENV_KEYS, stackEnv } from './env.ts';

describe('stack env', () => {
  const paths = () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditflow-env-'));
    return { cache: dir, run: join(dir, 'run') };
  };

  it('has every key the SPEC lists, with the SPEC ports', () => {
    const env = stackEnv(paths());
    expect(Object.keys(env)).toEqual([...STACK_ENV_KEYS]);
    expect(env.KAFKA_BROKERS).toBe('127.0.0.1:9092');
    expect(env.ELASTICSEARCH_URL).toBe('http://127.0.0.1:9200');
    expect(env.S3_ENDPOINT).toBe('http://127.0.0.1:9000');
    expect(env.S3_BUCKET).toBe('audit-archive');
    expect(env.SCHEMA_REGISTRY_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7$/);
  });

  it('makes random credentials once, keeps them private, and returns the same ones after', () => {
    const p = paths();
    const first = stackEnv(p);
    expect(first.AUDITFLOW_GATEWAY_TOKEN).not.toBe(first.AUDITFLOW_STREAM_TOKEN);
    expect(stackEnv(p)).toEqual(first);
    expect(stackEnv(paths()).AWS_SECRET_ACCESS_KEY).not.toBe(first.AWS_SECRET_ACCESS_KEY);
    expect(statSync(join(p.run, 'credentials.json')).mode & 0o077).toBe(0);
  });

  it('quotes values a shell would split or expand', () => {
    expect(formatEnv({ A: 'plain-value_1.2:3/x', B: "it's $HOME now" })).toBe(
      "A=plain-value_1.2:3/x\nB='it'\\''s $HOME now'",
    );
  });
});
