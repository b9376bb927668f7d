import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './errors.ts';
import type { StackPaths } from './paths.ts';
import {
  groupRssBytes,
  isAlive,
  launchDetached,
  portIsFree,
  runningPid,
  stopProcess,
  tail,
} from './process.ts';
import { elasticsearch } from './servers/elasticsearch.ts';
import { esExporter } from './servers/elasticsearch-exporter.ts';
import { kafka } from './servers/kafka.ts';
import { prometheus } from './servers/prometheus.ts';
import { registry } from './servers/registry.ts';
import { s3 } from './servers/s3.ts';
import { type LocalServer, type ServerName, serverDirs } from './servers/server.ts';

/** Start order matters only for readability of output; servers start in parallel. */
export const SERVERS: readonly LocalServer[] = [kafka, registry, elasticsearch, esExporter, s3, prometheus];

export type Reporter = (line: string) => void;

export function selectServers(names: readonly string[] | undefined): LocalServer[] {
  if (!names || names.length === 0) return [...SERVERS];
  return names.map((name) => {
    const server = SERVERS.find((candidate) => candidate.name === name);
    if (!server) {
      throw new StackError(`unknown server '${name}'`, {
        hint: `choose from: ${SERVERS.map((s) => s.name).join(', ')}`,
      });
    }
    return server;
  });
}

export interface ServerUpResult {
  readonly name: ServerName;
  readonly pid: number;
  readonly alreadyRunning: boolean;
  readonly seconds: number;
}

async function waitReady(server: LocalServer, pid: number, log: string): Promise<void> {
  const deadline = Date.now() + server.startTimeoutS * 1000;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      throw new StackError(`${server.title} exited during start. Last log lines (${log}):\n${tail(log)}`, {
        hint: `fix the cause above, then run 'pnpm auditflow stack up' again; full log: pnpm auditflow stack logs ${server.name}`,
      });
    }
    if (await server.ready()) return;
    await sleep(500);
  }
  throw new StackError(
    `${server.title} did not become ready within ${server.startTimeoutS}s. Last log lines (${log}):\n${tail(log)}`,
    {
      hint: `see 'pnpm auditflow stack logs ${server.name}'; it is still running (pid ${pid})`,
      retriable: true,
    },
  );
}

/** Installs (if needed) and starts one server, waiting until it serves; a no-op when it runs. */
export async function startServer(
  server: LocalServer,
  paths: StackPaths,
  report: Reporter = () => {},
): Promise<ServerUpResult> {
  const started = Date.now();
  const dirs = serverDirs(paths, server.name);
  mkdirSync(dirs.root, { recursive: true });
  const existing = runningPid(dirs.pidFile);
  if (existing !== undefined) {
    await waitReady(server, existing, dirs.log);
    // Seeding is idempotent: a stack started by an older version gets what is new (S3 users).
    await server.afterReady?.(paths, (line) => report(`${server.name}: ${line}`));
    report(`${server.name}: already running (pid ${existing})`);
    return { name: server.name, pid: existing, alreadyRunning: true, seconds: 0 };
  }
  for (const port of server.ports) {
    if (!(await portIsFree(port))) {
      throw new StackError(
        `${server.title} cannot start: port ${port} on 127.0.0.1 is in use by another process`,
        {
          hint: `stop whatever listens there (ss -ltnp 'sport = :${port}'), or point the clients at it with env vars instead of 'stack up'`,
        },
      );
    }
  }
  report(`${server.name}: installing ${server.title} ${server.version} (cached after the first time)`);
  await server.install(paths, (line) => report(`${server.name}: ${line}`));
  await server.prepare(paths, dirs);
  const pid = launchDetached(server.launch(paths, dirs), dirs.log, dirs.pidFile);
  report(`${server.name}: started (pid ${pid}), waiting until it serves on 127.0.0.1:${server.ports[0]}`);
  await waitReady(server, pid, dirs.log);
  await server.afterReady?.(paths, (line) => report(`${server.name}: ${line}`));
  const seconds = (Date.now() - started) / 1000;
  report(`${server.name}: ready on 127.0.0.1:${server.ports[0]} after ${seconds.toFixed(1)}s`);
  return { name: server.name, pid, alreadyRunning: false, seconds };
}

/** Installs what is missing and starts every selected server; a second call is a no-op. */
export async function stackUp(
  paths: StackPaths,
  options: { servers?: readonly string[]; report?: Reporter } = {},
): Promise<ServerUpResult[]> {
  const report = options.report ?? (() => {});
  mkdirSync(paths.run, { recursive: true, mode: 0o755 });
  const servers = selectServers(options.servers);
  const outcomes = await Promise.allSettled(servers.map((server) => startServer(server, paths, report)));
  const failures = outcomes.flatMap((outcome, i) =>
    outcome.status === 'rejected' ? [{ server: servers[i], error: outcome.reason as Error }] : [],
  );
  if (failures.length > 0) {
    const first = failures[0]?.error;
    const message = failures.map((f) => `${f.server?.name}: ${f.error.message}`).join('\n\n');
    throw new StackError(message, {
      hint: first instanceof StackError ? first.hint : undefined,
      cause: first,
    });
  }
  return outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
}

/** Stops one server started with `startServer` (SIGTERM, then SIGKILL after `graceMs`). */
export async function stopServer(
  server: LocalServer,
  paths: StackPaths,
  graceMs?: number,
): Promise<number | undefined> {
  const pid = runningPid(serverDirs(paths, server.name).pidFile);
  if (pid === undefined) return undefined;
  await stopProcess(pid, graceMs);
  runningPid(serverDirs(paths, server.name).pidFile);
  return pid;
}

/** Stops the servers this stack started (by pid file); leaves anything else alone. */
export async function stackDown(
  paths: StackPaths,
  options: { servers?: readonly string[]; report?: Reporter } = {},
): Promise<void> {
  const report = options.report ?? (() => {});
  const servers = selectServers(options.servers).reverse();
  await Promise.all(
    servers.map(async (server) => {
      const pid = await stopServer(server, paths);
      report(pid === undefined ? `${server.name}: not running` : `${server.name}: stopped (pid ${pid})`);
    }),
  );
}

export interface ServerStatus {
  readonly name: ServerName;
  readonly title: string;
  readonly pid: number | undefined;
  readonly port: number;
  readonly ready: boolean;
  readonly version: string | undefined;
  /** Resident memory of the server's process group. */
  readonly rssBytes: number | undefined;
  readonly log: string;
}

export async function stackStatus(paths: StackPaths): Promise<ServerStatus[]> {
  return Promise.all(
    SERVERS.map(async (server) => {
      const dirs = serverDirs(paths, server.name);
      const [ready, version] = await Promise.all([server.ready(), server.runningVersion()]);
      const pid = runningPid(dirs.pidFile);
      return {
        name: server.name,
        title: server.title,
        pid,
        rssBytes: pid === undefined ? undefined : groupRssBytes(pid),
        port: server.ports[0] ?? 0,
        ready,
        version,
        log: dirs.log,
      };
    }),
  );
}

export function logFile(paths: StackPaths, name: string): string {
  const [server] = selectServers([name]);
  if (!server) throw new StackError(`unknown server '${name}'`);
  return serverDirs(paths, server.name).log;
}
