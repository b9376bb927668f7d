import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTopicsReady } from '@auditflow/kafka';
import { type AuditEvent, auditEventType } from '@auditflow/schemas';
import { beforeAll, describe, expect, it } from 'vitest';
import { consumeAll } from '../../support/consume.ts';
import { kafkaClient, unique } from '../../support/endpoints.ts';

const exec = promisify(execFile);

describe('auditflow emit', () => {
  const topic = unique('it.cli');
  const env = { ...process.env, AUDITFLOW_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'cli-spool-')) };
  const cli = (args: string[], input?: string) => {
    const child = exec(
      'node',
      [
        '--import',
        'tsx',
        '--conditions=auditflow-source',
        'infra/cli/src/main.ts',
        'emit',
        '--topic',
        topic,
        ...args,
      ],
      { env },
    );
    if (input !== undefined) {
      child.child.stdin?.end(input);
    }
    return child;
  };

  beforeAll(async () => {
    const admin = kafkaClient('cli-test').admin();
    await admin.connect();
    await createTopicsReady(admin, [{ topic, numPartitions: 1 }]);
    await admin.disconnect();
  });

  it('emits one event from flags and NDJSON from stdin, printing the ids', async () => {
    const one = await cli([
      '--action',
      'git.push',
      '--tenant',
      'acme',
      '--actor-id',
      'ada',
      '--details',
      '{"branch":"main"}',
    ]);
    const ndjson = [1, 2, 3]
      .map((i) =>
        JSON.stringify({
          action: 'auth.login',
          actor: { type: 'user', id: `u${i}` },
          outcome: 'success',
          tenant_id: 'acme',
          service: { name: 'sso' },
        }),
      )
      .join('\n');
    const many = await cli(['--file', '-'], `${ndjson}\n`);
    const ids = [...one.stdout.trim().split('\n'), ...many.stdout.trim().split('\n')];
    expect(ids).toHaveLength(4);
    const events = (await consumeAll(topic)).map(
      (m) => auditEventType.fromBuffer((m.message.value as Buffer).subarray(5)) as AuditEvent,
    );
    expect(events.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(JSON.parse(events.find((e) => e.action === 'git.push')?.details as string)).toEqual({
      branch: 'main',
    });
  });

  it('exits non-zero naming the line, the field and the rule of a bad event', async () => {
    const bad = JSON.stringify({
      action: 'git.push',
      actor: { type: 'robot', id: 'x' },
      outcome: 'success',
      tenant_id: 'acme',
      service: { name: 's' },
    });
    const error = await cli(['--file', '-'], `${bad}\n`).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect((error as { code: number }).code).toBe(1);
    expect((error as { stderr: string }).stderr).toMatch(
      /line 1: invalid audit event: actor\.type: must be one of/,
    );
  });
});
