import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Background processes of the local stack. A pid file records what we started, so `down`
 * stops only our own processes and `up` recognises a server that is already running.
 */

export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface PidRecord {
  readonly pid: number;
  readonly startedAt: string;
  readonly command: string;
  readonly startTicks?: string | undefined;
}

export function readPid(pidFile: string): PidRecord | undefined {
  if (!existsSync(pidFile)) return undefined;
  try {
    return JSON.parse(readFileSync(pidFile, 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kernel start time of a process (clock ticks since boot), or undefined without /proc. */
function startTicks(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces, so count from ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the recorded process is alive and is still the one we started (pids get reused). */
function isOurs(record: PidRecord): boolean {
  if (!isAlive(record.pid)) return false;
  return record.startTicks === undefined || startTicks(record.pid) === record.startTicks;
}

/** The pid from the file when that process still runs; a stale file is removed. */
export function runningPid(pidFile: string): number | undefined {
  const record = readPid(pidFile);
  if (record && isOurs(record)) return record.pid;
  if (record) rmSync(pidFile, { force: true });
  return undefined;
}

/** Starts a detached process in its own process group with output appended to `logFile`. */
export function launchDetached(spec: LaunchSpec, logFile: string, pidFile: string): number {
  const out = openSync(logFile, 'a');
  writeFileSync(out, `\n--- ${new Date().toISOString()} starting: ${spec.command} ${spec.args.join(' ')}\n`);
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
  child.unref();
  const record: PidRecord = {
    pid: child.pid,
    startedAt: new Date().toISOString(),
    command: spec.command,
    startTicks: startTicks(child.pid),
  };
  writeFileSync(pidFile, JSON.stringify(record));
  return child.pid;
}

/** SIGTERM to the process group, then SIGKILL after `graceMs`. */
export async function stopProcess(pid: number, graceMs = 20_000): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(200);
  }
  signal('SIGKILL');
  while (isAlive(pid)) await sleep(100);
}

/** True when nothing listens on 127.0.0.1:port. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no log written)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

const PAGE_BYTES = 4096;
/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

/**
 * Sums `pick` over the /proc stat fields of every process in a process group (a server and the
 * children it forks, such as Elasticsearch's launcher and JVM); undefined without /proc.
 */
function sumOverGroup(pgid: number, pick: (fields: readonly string[]) => number): number | undefined {
  if (!existsSync('/proc')) return undefined;
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the command name: state(0) ppid(1) pgrp(2) ... utime(11) stime(12) ... rss(21).
      if (Number(fields[2]) === pgid) total += pick(fields);
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

/** Resident memory of a whole process group, in bytes; undefined without /proc. */
export const groupRssBytes = (pgid: number): number | undefined =>
  sumOverGroup(pgid, (fields) => Number(fields[21]) * PAGE_BYTES);

/**
 * CPU seconds (user + system) used so far by the processes of a group that are still running;
 * undefined without /proc. Take both readings of a difference while the server runs.
 */
export const groupCpuSeconds = (pgid: number): number | undefined =>
  sumOverGroup(pgid, (fields) => (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
