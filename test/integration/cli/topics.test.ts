import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { kafkaClient } from '../../support/endpoints.ts';

const exec = promisify(execFile);
const cli = (...args: string[]) =>
  exec('node', ['--import', 'tsx', '--conditions=auditflow-source', 'infra/cli/src/main.ts', ...args]);

describe('auditflow topics create / schemas register', () => {
  it('creates the five topics once and reports them as existing afterwards', async () => {
    await cli('topics', 'create', '--partitions', '6');
    const again = await cli('topics', 'create', '--partitions', '6');
    const lines = again.stdout.trim().split('\n').sort();
    expect(lines).toEqual(
      ['audit.clean.v1', 'audit.dlq.v1', 'audit.quarantine.v1', 'audit.raw.v1', 'audit.sanitized.v1'].map(
        (t) => expect.stringMatching(new RegExp(`^${t.replaceAll('.', '\\.')}\\texists\\t\\d+ partitions$`)),
      ),
    );
    const admin = kafkaClient('topics-test').admin();
    await admin.connect();
    const configs = await admin.describeConfigs({
      resources: [{ type: 2, name: 'audit.clean.v1', configNames: ['retention.ms', 'min.insync.replicas'] }],
      includeSynonyms: false,
    });
    await admin.disconnect();
    const entries = Object.fromEntries(
      configs.resources[0]?.configEntries.map((e) => [e.configName, e.configValue]) ?? [],
    );
    expect(entries['min.insync.replicas']).toBe('1');
    expect(Number(entries['retention.ms'])).toBe(14 * 24 * 3600 * 1000);
  });

  it('registers the schema under <topic>-value for the event topics, idempotently', async () => {
    const first = await cli('schemas', 'register');
    const second = await cli('schemas', 'register');
    expect(first.stdout).toMatch(/^audit\.raw\.v1-value\tschema id \d+$/m);
    expect(second.stdout).toBe(first.stdout);
  });
});
