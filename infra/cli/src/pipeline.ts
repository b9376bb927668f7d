import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  launchDetached,
  portIsFree,
  runningPid,
  type StackEnv,
  type StackPaths,
  stopProcess,
  tail,
} from '@auditflow/stack';

/** The repository root: services run with plain node from their packages' built dist/ (`pnpm build`). */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface PipelineService {
  readonly name: string;
  /** The built entry point, from the repository root (`node <entry>`). */
  readonly entry: string;
  /** Port of /readyz; undefined for workers without one (the demo generator). */
  readonly port?: number;
  readonly env?: Record<string, string>;
}

/** The sanitizer and the enricher as two services (`up --split`): scales the two stages apart. */
const SPLIT_PROCESSORS: readonly PipelineService[] = [
  {
    name: 'sanitizer',
    entry: 'processors/sanitizer/dist/main.js',
    port: 8071,
    env: { AUDITFLOW_HEALTH_PORT: '8071', AUDITFLOW_INSTANCE_ID: 'local-sanitizer-1' },
  },
  {
    name: 'enricher',
    entry: 'processors/enricher/dist/main.js',
    port: 8072,
    env: { AUDITFLOW_HEALTH_PORT: '8072', AUDITFLOW_INSTANCE_ID: 'local-enricher-1' },
  },
];

/**
 * Both transforms in one service and one transaction (raw -> clean), the default of `up`: half
 * the decoding, producing and committing per event (README, Benchmarks). Same port as the
 * sanitizer, whose group it runs in: the two deployments cannot run side by side by mistake.
 */
export const FUSED_PROCESSOR: PipelineService = {
  name: 'fused',
  entry: 'processors/fused/dist/main.js',
  port: 8071,
  env: { AUDITFLOW_HEALTH_PORT: '8071', AUDITFLOW_INSTANCE_ID: 'local-fused-1' },
};

const CONSUMERS_AND_INGRESS: readonly PipelineService[] = [
  {
    name: 'indexer',
    entry: 'consumers/indexer/dist/main.js',
    port: 8073,
    env: { AUDITFLOW_HEALTH_PORT: '8073' },
  },
  {
    name: 'archiver',
    entry: 'consumers/archiver/dist/main.js',
    port: 8074,
    env: { AUDITFLOW_HEALTH_PORT: '8074' },
  },
  { name: 'streamer', entry: 'consumers/streamer/dist/main.js', port: 8090 },
  { name: 'query-api', entry: 'consumers/query-api/dist/main.js', port: 8080 },
  { name: 'gateway', entry: 'producers/gateway/dist/main.js', port: 8070 },
];

export type Deployment = 'fused' | 'split';

/** The services of a deployment in start order: processors, consumers, ingress last. */
export function pipelineFor(deployment: Deployment): readonly PipelineService[] {
  return [...(deployment === 'fused' ? [FUSED_PROCESSOR] : SPLIT_PROCESSORS), ...CONSUMERS_AND_INGRESS];
}

/**
 * The split deployment (`up --split`), in start order. The e2e and chaos tests run this one: it
 * has every stage the fused one has, and the sanitized topic between two of them.
 */
export const PIPELINE: readonly PipelineService[] = pipelineFor('split');

/** Every service either deployment runs (`down` stops them all). */
export const EVERY_SERVICE: readonly PipelineService[] = [FUSED_PROCESSOR, ...PIPELINE];

/** The deployment whose processors run now (started by any `up`), if any. */
export function runningDeployment(paths: StackPaths): Deployment | undefined {
  if (servicePid(FUSED_PROCESSOR, paths) !== undefined) return 'fused';
  return SPLIT_PROCESSORS.some((s) => servicePid(s, paths) !== undefined) ? 'split' : undefined;
}

export const DEMO: PipelineService = { name: 'demo', entry: 'infra/cli/dist/demo-main.js' };

function dirs(paths: StackPaths, name: string) {
  const root = join(paths.run, 'services', name);
  return { root, log: join(root, `${name}.log`), pid: join(root, `${name}.pid`), spool: join(root, 'spool') };
}

async function ready(
  service: PipelineService,
  pid: number,
  d: { log: string; pid: string },
  timeoutMs = 90_000,
): Promise<void> {
  const log = d.log;
  if (service.port === undefined) return;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${service.port}/readyz`, {
        signal: AbortSignal.timeout(2000),
      });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (runningPid(d.pid) !== pid) {
      throw new Error(`${service.name} exited during start. Last log lines (${log}):\n${tail(log)}`);
    }
    await sleep(500);
  }
  throw new Error(
    `${service.name} did not become ready within ${timeoutMs / 1000}s. Last log lines (${log}):\n${tail(log)}`,
  );
}

/** Starts one service in the background (a no-op when it runs) and waits for /readyz. */
export async function startService(
  service: PipelineService,
  paths: StackPaths,
  env: StackEnv,
  report: (line: string) => void,
): Promise<void> {
  const d = dirs(paths, service.name);
  mkdirSync(d.root, { recursive: true });
  const existing = runningPid(d.pid);
  if (existing !== undefined) {
    report(`${service.name}: already running (pid ${existing})`);
    return;
  }
  if (service.port !== undefined && !(await portIsFree(service.port))) {
    throw new Error(
      `${service.name} cannot start: port ${service.port} on 127.0.0.1 is in use by another process`,
    );
  }
  const pid = launchDetached(
    {
      command: process.execPath,
      args: [service.entry],
      cwd: REPO,
      env: {
        ...process.env,
        ...env,
        AUDITFLOW_SPOOL_DIR: d.spool,
        ...ownS3Identity(service.name, env),
        ...service.env,
      },
    },
    d.log,
    d.pid,
  );
  await ready(service, pid, d);
  report(
    `${service.name}: ready${service.port ? ` on 127.0.0.1:${service.port}` : ''} (pid ${pid}, log ${d.log})`,
  );
}

/** The pid of the service when it runs (started by any `up`), else undefined. */
export function servicePid(service: PipelineService, paths: StackPaths): number | undefined {
  return runningPid(dirs(paths, service.name).pid);
}

export async function stopService(
  service: PipelineService,
  paths: StackPaths,
  report: (line: string) => void,
): Promise<void> {
  const pid = runningPid(dirs(paths, service.name).pid);
  if (pid === undefined) return;
  await stopProcess(pid, 30_000);
  runningPid(dirs(paths, service.name).pid);
  report(`${service.name}: stopped (pid ${pid})`);
}

export function serviceLog(paths: StackPaths, name: string): string {
  return dirs(paths, name).log;
}

/**
 * The archiver writes with its own least-privilege S3 identity (no delete, no governance
 * bypass), not the store's root credentials, where `stack env` provides one.
 */
function ownS3Identity(service: string, env: StackEnv): Record<string, string> {
  if (service !== 'archiver' || !env.AUDITFLOW_S3_ARCHIVER_ACCESS_KEY_ID) return {};
  return {
    AWS_ACCESS_KEY_ID: env.AUDITFLOW_S3_ARCHIVER_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: env.AUDITFLOW_S3_ARCHIVER_SECRET_ACCESS_KEY,
  };
}
