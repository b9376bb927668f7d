import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolvePaths } from '@auditflow/stack';
import { describe, expect, it } from 'vitest';
import { endpoints } from '../../support/endpoints.ts';

const exec = promisify(execFile);

describe('clients we did not write read the stack', () => {
  it("Confluent's Python client lists brokers and subjects; boto3 lists the locked bucket", async () => {
    const python = join(resolvePaths().cache, 'pyclients', 'bin', 'python');
    expect(existsSync(python), `${python} is missing: run scripts/bootstrap.sh`).toBe(true);
    const { stdout } = await exec(python, ['-W', 'ignore', 'test/foreign-clients/check_stack.py'], {
      env: { ...process.env },
      timeout: 60_000,
    });
    const report = JSON.parse(stdout) as { brokers: string[]; subjects: unknown[]; object_lock: string };
    expect(report.brokers).toContain(endpoints().KAFKA_BROKERS.split(',')[0]);
    expect(Array.isArray(report.subjects)).toBe(true);
    expect(report.object_lock).toBe('Enabled');
  });

  it('curl reads the Elasticsearch version and product header', async () => {
    const { stdout } = await exec('curl', [
      '-si',
      `${endpoints().ELASTICSEARCH_URL}/_nodes/_local?filter_path=nodes.*.version`,
    ]);
    expect(stdout).toMatch(/^x-elastic-product: Elasticsearch/im);
    expect(stdout).toMatch(/"version":"8\.\d+\.\d+"/);
  });
});
