/**
 * A short chaos run in CI (issue 15, SPEC R1/X1): the harness of `pnpm chaos` with fewer faults
 * and less traffic, so a change that loses or doubles events under a crash fails the build.
 * Kafka is the harness's own (fresh topics and groups, and a broker it may stop); the registry,
 * Elasticsearch and S3 are the test servers, with a fresh index prefix and archive prefix.
 * One fault of each kind the pipeline has had to be fixed for: processor and consumer SIGKILLs,
 * a streamer SIGKILL (webhook redelivery under the same nonce), a gateway SIGKILL and a broker
 * stop (producer resends the sanitizer must drop), a zombie enricher (per-partition fencing),
 * and the SDK with a small spool (it must free space again once Kafka is back).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectFaults } from '../chaos/faults.ts';
import { formatReport } from '../chaos/report.ts';
import { runChaos } from '../chaos/run.ts';

describe('chaos under load (short): SIGKILLs, a broker stop and a zombie enricher while events flow', () => {
  it('loses nothing and doubles nothing at any stage, leaks no secret, and catches up after every fault', async () => {
    const result = await runChaos({
      quick: true,
      rate: 100,
      secretEvery: 25,
      dedicated: ['kafka'],
      serverPortBase: 22_000,
      servicePortOffset: 13_000,
      workDir: mkdtempSync(join(tmpdir(), 'auditflow-chaos-ci-')),
      smallSpool: { rate: 10, maxBytes: 64 * 1024 },
      faults: selectFaults([
        'kill-sanitizer',
        'kill-indexer',
        'kill-archiver',
        'kill-streamer',
        'kill-gateway',
        'stop-kafka',
        'zombie-enricher',
      ]),
      plan: { serverDownS: 15, freezeS: 40, slowS: 40 },
      soakMs: 0,
      recoveryTimeoutMs: 180_000,
      drainTimeoutMs: 240_000,
      keepWorkDir: false,
      log: (line) => process.stderr.write(`[chaos] ${line}\n`),
    });
    process.stderr.write(formatReport(result));
    expect(result.events_acknowledged).toBeGreaterThan(5000);
    expect(result.faults).toBe(7);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  }, 1_800_000);
});
