import { join } from 'node:path';
import type { StackPaths } from '../paths.ts';
import type { LaunchSpec } from '../process.ts';

export type ServerName = 'kafka' | 'registry' | 'elasticsearch' | 'es-exporter' | 's3' | 'prometheus';

/** Where one server keeps its files inside the stack's run directory. */
export interface ServerDirs {
  readonly root: string;
  readonly data: string;
  readonly log: string;
  readonly pidFile: string;
}

export function serverDirs(paths: StackPaths, name: ServerName): ServerDirs {
  const root = join(paths.run, name);
  return {
    root,
    data: join(root, 'data'),
    log: join(root, `${name}.log`),
    pidFile: join(root, `${name}.pid`),
  };
}

/**
 * One real server of the local stack. `install` fetches into the cache (idempotent),
 * `prepare` writes configuration and first-run state, `launch` says how to start it,
 * `ready` asks the server itself whether it serves, `afterReady` seeds it (buckets...).
 */
export interface LocalServer {
  readonly name: ServerName;
  readonly title: string;
  readonly version: string;
  /** Ports that must be free before start; the first is the client port. */
  readonly ports: readonly number[];
  /** Seconds `stack up` waits for readiness before reporting the server as failed. */
  readonly startTimeoutS: number;
  /** `report` takes progress lines of a long download or build. */
  install(paths: StackPaths, report?: (line: string) => void): Promise<void>;
  prepare(paths: StackPaths, dirs: ServerDirs): Promise<void>;
  launch(paths: StackPaths, dirs: ServerDirs): LaunchSpec;
  ready(): Promise<boolean>;
  /** `report` takes lines worth telling the user (e.g. a restart an older stack needs). */
  afterReady?(paths: StackPaths, report?: (line: string) => void): Promise<void>;
  /** The version the running server reports, or undefined when it does not answer. */
  runningVersion(): Promise<string | undefined>;
}

/** A GET that never throws: the status and body, or undefined when nothing answered. */
export async function probe(
  url: string,
  timeoutMs = 2000,
): Promise<{ status: number; body: string; headers: Headers } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text(), headers: res.headers };
  } catch {
    return undefined;
  }
}
