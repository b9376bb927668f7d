import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PLANTED_SECRETS } from '../../support/secret-corpus.ts';

/**
 * The SDK's file sink in a real process: it emits until SIGTERM, closes the producer and exits;
 * every event it emitted is in the files, whole, in order, with no planted secret, across
 * rotations by size.
 */
describe('SDK file sink in a process stopped by SIGTERM', () => {
  it('loses no line and splits none', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditflow-local-sink-'));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=auditflow-source', 'test/support/local-sink-child.ts'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: {
          ...process.env,
          AUDITFLOW_SINK: 'file',
          AUDITFLOW_SINK_FILE: join(dir, 'audit.jsonl'),
          AUDITFLOW_SINK_MAX_BYTES: '64KiB',
          AUDITFLOW_SINK_KEEP: '999',
          AUDITFLOW_PSEUDONYM_KEY: randomBytes(32).toString('hex'),
          AUDITFLOW_REDACTION_KEY: randomBytes(32).toString('hex'),
        },
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    for (let waited = 0; !out.includes('started') && waited < 60_000; waited += 100) await sleep(100);
    expect(out).toContain('started');
    // Let it write through a few rotations (64 KiB is about 70 events).
    for (let waited = 0; readdirSync(dir).length < 5 && waited < 30_000; waited += 100) await sleep(100);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const emitted = Number(/emitted (\d+)/.exec(out)?.[1]);
    const files = readdirSync(dir)
      .filter((f) => /^audit\..+\.jsonl$/.test(f))
      .sort();
    files.push('audit.jsonl');
    expect(files.length).toBeGreaterThan(2);
    const text = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    expect(text.endsWith('\n')).toBe(true);
    const sequences = text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { producer: { sequence: number } }).producer.sequence);
    expect(emitted).toBeGreaterThan(0);
    expect(sequences).toEqual(Array.from({ length: emitted }, (_, i) => i + 1));
    expect(text).not.toContain(PLANTED_SECRETS.github);
    expect(text).toContain('[REDACTED:');
    rmSync(dir, { recursive: true, force: true });
  });
});
