/**
 * A short chaos run in CI (issue 15, SPEC R1/X1): the harness of `pnpm chaos` with a few faults
 * and less traffic, so a change that loses or doubles events under a crash fails the build.
 * Kafka is the harness's own (fresh topics and groups, and a broker it may stop); the registry,
 * Elasticsearch and S3 are the test servers, with a fresh index prefix and archive prefix.
 * Faults that `pnpm chaos --quick` shows doubling events today stay out until fixed (a broker
 * stop or a gateway SIGKILL: the producers resend some events to the raw topic and no stage
 * drops the repeat; a streamer SIGKILL: webhook repeats under new nonces; zombies: no KIP-447
 * fencing in kafkajs), and so does the small-spool SDK: this test is a gate, it must not fail
 * on what is already reported.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectFaults } from '../chaos/faults.ts';
import { formatReport } from '../chaos/report.ts';
import { runChaos } from '../chaos/run.ts';

describe('chaos under load (short): SIGKILL of the sanitizer, indexer, archiver and query API while events flow', () => {
  it('loses nothing and doubles nothing at any stage, leaks no secret, and catches up after every fault', async () => {
    const result = await runChaos({
      quick: true,
      rate: 100,
      secretEvery: 25,
      dedicated: ['kafka'],
      serverPortBase: 22_000,
      servicePortOffset: 13_000,
      workDir: mkdtempSync(join(tmpdir(), 'auditflow-chaos-ci-')),
      // No small-spool producer: a spool under ~4 MiB never frees its space (reported, not fixed yet).
      faults: selectFaults(['kill-sanitizer', 'kill-indexer', 'kill-archiver', 'kill-query-api']),
      plan: { serverDownS: 15, freezeS: 40, slowS: 40 }, // only the SIGKILLs run here
      soakMs: 0,
      recoveryTimeoutMs: 180_000,
      drainTimeoutMs: 240_000,
      keepWorkDir: false,
      log: (line) => process.stderr.write(`[chaos] ${line}\n`),
    });
    process.stderr.write(formatReport(result));
    expect(result.events_acknowledged).toBeGreaterThan(5000);
    expect(result.faults).toBe(4);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  }, 1_200_000);
});
