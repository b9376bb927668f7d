import { setTimeout as sleep } from 'node:timers/promises';
import type { Deployment } from '../../infra/cli/src/pipeline.ts';
import { runCli } from '../support/cli.ts';
import type { ServerName } from '../support/dedicated-stack.ts';
import { secondInstance } from '../support/pipeline-services.ts';
import type { Harness } from './harness.ts';

export interface FaultPlan {
  /** How long a stopped server stays down. */
  readonly serverDownS: number;
  /** How long a zombie stays frozen (past the 30 s session timeout). */
  readonly freezeS: number;
  /** How long the slow consumer stays frozen. */
  readonly slowS: number;
}

export interface Injected {
  readonly start: number;
  /** When the fault was over (service respawned, server ready again, process thawed). */
  readonly end: number;
  readonly notes: string[];
}

export interface Fault {
  readonly name: string;
  readonly what: (plan: FaultPlan) => string;
  /** A server the harness must run itself to inject this. */
  readonly needs?: ServerName;
  run(h: Harness, plan: FaultPlan): Promise<Injected>;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const baseline: Fault = {
  name: 'baseline',
  what: () => 'no fault: how long the pipeline takes to catch up when nothing is wrong',
  async run() {
    await sleep(10_000);
    const at = Date.now();
    return { start: at, end: at, notes: [] };
  },
};

/** SIGKILL mid-stream, respawned at once (its supervisor would). */
const killService = (name: string): Fault => ({
  name: `kill-${name}`,
  what: () => `SIGKILL the ${name} mid-stream, start it again at once`,
  async run(h) {
    const start = Date.now();
    const exit = await h.kill(name, 'SIGKILL');
    h.get(name).spawn();
    const end = Date.now();
    await h.get(name).ready(180_000);
    return {
      start,
      end,
      notes: [`killed (${exit.signal}); ready again ${seconds(Date.now() - end)} after the respawn`],
    };
  },
});

/** What `auditflow doctor` reports as failing, as an operator would run it. */
async function doctorFailures(h: Harness): Promise<string> {
  const r = await runCli(['doctor', '--json'], h.env());
  try {
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as {
      checks: { name: string; level: string; detail?: string }[];
    };
    const failed = report.checks.filter((c) => c.level === 'fail');
    return failed.length === 0
      ? 'all checks pass'
      : failed.map((c) => `${c.name} FAIL (${(c.detail ?? '').slice(0, 80)})`).join(', ');
  } catch {
    return `no report (exit ${r.code})`;
  }
}

/** A server stopped for a while, then started again. */
const stopServer = (name: ServerName): Fault => ({
  name: `stop-${name}`,
  what: (p) => `stop ${name} (SIGTERM) for ${p.serverDownS} s, then start it`,
  needs: name,
  async run(h, p) {
    const server = h.stack?.servers[name];
    if (!server) throw new Error(`${name} is not the harness's own`);
    const start = Date.now();
    await server.stop();
    const doctor = await doctorFailures(h);
    await sleep(Math.max(0, p.serverDownS * 1000 - (Date.now() - start)));
    const restart = Date.now();
    await server.start();
    const end = Date.now();
    return {
      start,
      end,
      notes: [
        `down ${seconds(restart - start)}, serving again ${seconds(end - restart)} after its start`,
        `doctor while down: ${doctor}`,
      ],
    };
  },
});

/**
 * KIP-447's case: a second instance joins, the first is frozen (SIGSTOP) past its session
 * timeout so the group gives its partitions to the second, then thawed (SIGCONT) with whatever
 * batch and transaction it held. Then the second instance leaves again (SIGTERM).
 */
const zombie = (name: 'sanitizer' | 'enricher' | 'fused'): Fault => ({
  name: `zombie-${name}`,
  what: (p) =>
    `two ${name}s; one frozen ${p.freezeS} s (SIGSTOP, past the 30 s session timeout) while the other takes over, then SIGCONT`,
  async run(h, p) {
    const primary = h.get(name);
    const spec = secondInstance(primary.spec, primary.spec.port + 100, `chaos-${name}-2`);
    const second = h.service(spec);
    await second.start();
    await sleep(5000); // the group settles with both
    const start = Date.now();
    primary.signal('SIGSTOP');
    await sleep(p.freezeS * 1000);
    primary.signal('SIGCONT');
    const thawed = Date.now();
    await sleep(15_000); // the zombie wakes with the batch it held
    const alive = primary.running;
    await h.retire(spec.name);
    return {
      start,
      end: Date.now(),
      notes: [
        `frozen ${seconds(thawed - start)}; ${alive ? 'still running' : 'exited'} 15 s after SIGCONT; second instance stopped after that`,
      ],
    };
  },
});

const slowConsumer: Fault = {
  name: 'slow-indexer',
  what: (p) => `freeze the indexer (SIGSTOP) for ${p.slowS} s, then SIGCONT`,
  async run(h, p) {
    const indexer = h.get('indexer');
    const start = Date.now();
    indexer.signal('SIGSTOP');
    await sleep(p.slowS * 1000);
    indexer.signal('SIGCONT');
    return { start, end: Date.now(), notes: [] };
  },
};

/** Every fault of a deployment's services, in the order a run injects them. */
export function faultsFor(deployment: Deployment = 'split'): readonly Fault[] {
  const processors = deployment === 'fused' ? (['fused'] as const) : (['sanitizer', 'enricher'] as const);
  return [
    baseline,
    ...[...processors, 'indexer', 'archiver', 'streamer', 'query-api', 'gateway'].map(killService),
    ...(['registry', 'elasticsearch', 's3', 'kafka'] as const).map(stopServer),
    ...processors.map(zombie),
    slowConsumer,
  ];
}

/** The split deployment's faults (the e2e chaos test picks from these). */
export const FAULTS: readonly Fault[] = faultsFor('split');

export function selectFaults(
  names: readonly string[] | undefined,
  deployment: Deployment = 'split',
): Fault[] {
  const all = faultsFor(deployment);
  if (!names || names.length === 0) return [...all];
  return names.map((n) => {
    const f = all.find((x) => x.name === n);
    if (!f) throw new Error(`unknown fault '${n}'; choose from: ${all.map((x) => x.name).join(', ')}`);
    return f;
  });
}
