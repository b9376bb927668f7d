import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spool } from './spool.ts';

const repo = resolve(import.meta.dirname, '../../..');

/** Runs the spool child until it has made `batches` batches durable, then kills it with SIGKILL. */
async function killMidStream(dir: string, batches: number): Promise<{ durable: number; acked: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=auditflow-source', 'test/support/spool-child.ts', dir],
    { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let durable = 0;
  let acked = 0;
  let seen = 0;
  let buffered = '';
  await new Promise<void>((done, fail) => {
    child.once('exit', (code) => fail(new Error(`spool child exited early (${code})`)));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, value] = line.split(' ');
        if (kind === 'durable') {
          durable = Number(value);
          seen += 1;
        } else if (kind === 'acked') acked = Number(value);
      }
      // The kill lands while the child is appending, rolling, fsyncing or replacing state.json.
      if (seen >= batches) {
        child.removeAllListeners('exit');
        child.once('exit', () => done());
        child.kill('SIGKILL');
      }
    });
  });
  return { durable, acked };
}

describe('Spool under kill -9', () => {
  it('keeps every record reported durable, once and in order, across kills mid-roll', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditflow-spool-kill-'));
    let reported = { durable: 0, acked: 0 };
    for (const batches of [150, 90, 120]) {
      reported = await killMidStream(dir, batches);
      // state.json is whole after every kill (written to a temporary file and renamed).
      expect(() => JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))).not.toThrow();
    }
    const spool = new Spool({ dir, maxBytes: 1 << 30 });
    const recovered = spool.recover();
    spool.close();
    expect(recovered.producerId).toBe('crash-child');
    expect(recovered.ackedSequence).toBeGreaterThanOrEqual(reported.acked);
    expect(recovered.lastSequence).toBeGreaterThanOrEqual(reported.durable);
    // Everything after the acknowledged mark is there exactly once, in order, with no gap: the
    // restarted children continued the sequence rather than reusing one.
    const sequences = recovered.pending.map((r) => r.sequence);
    expect(sequences).toEqual(
      Array.from({ length: sequences.length }, (_, i) => recovered.ackedSequence + 1 + i),
    );
    expect(sequences.at(-1)).toBeGreaterThanOrEqual(reported.durable);
    for (const record of recovered.pending) expect(record.body[0]).toBe(record.sequence % 251);
  }, 60_000);
});
