import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localPrometheusConfig, minioMetricsToken, PROMETHEUS_CONFIG_DIR, RULE_FILES } from './prometheus.ts';

describe('local Prometheus configuration', () => {
  it('scrapes every stage by job, itself and MinIO with the token file, and loads the repo rules', () => {
    const config = localPrometheusConfig({
      port: 9090,
      tokenFile: '/run/token',
      targets: [
        { job: 'indexer', port: 28073 },
        { job: 'archiver', port: 28074 },
      ],
    });
    expect(config).toContain(
      "  - job_name: indexer\n    static_configs:\n      - targets: ['127.0.0.1:28073']",
    );
    expect(config).toContain(
      "  - job_name: archiver\n    static_configs:\n      - targets: ['127.0.0.1:28074']",
    );
    expect(config).toContain(
      "  - job_name: prometheus\n    static_configs:\n      - targets: ['127.0.0.1:9090']",
    );
    expect(config).toContain('credentials_file: "/run/token"');
    // The servers: the broker's JMX agent, the registry's management port, the ES exporter.
    for (const [job, port] of [
      ['kafka', 9404],
      ['registry', 8085],
      ['elasticsearch', 9114],
    ] as const)
      expect(config).toContain(
        `  - job_name: ${job}\n    static_configs:\n      - targets: ['127.0.0.1:${port}']`,
      );
    for (const file of RULE_FILES) {
      expect(config).toContain(JSON.stringify(join(PROMETHEUS_CONFIG_DIR, file)));
      expect(existsSync(join(PROMETHEUS_CONFIG_DIR, file))).toBe(true);
    }
  });
});

describe('minioMetricsToken', () => {
  it('is an HS512 JWT for the root user with issuer prometheus, signed with its secret', () => {
    const token = minioMetricsToken('root-user', 'secret-key', 1_000);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'HS512', typ: 'JWT' });
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: 'root-user', iss: 'prometheus' });
    expect(claims.exp).toBeGreaterThan(1_000 + 365 * 86_400);
    expect(signature).toBe(
      createHmac('sha512', 'secret-key').update(`${header}.${payload}`).digest('base64url'),
    );
  });
});
