import { homedir } from 'node:os';
import { join } from 'node:path';

export interface StackPaths {
  /** Downloads, Maven resolutions and builds; safe to keep across machines' lifetimes. */
  readonly cache: string;
  /** Per-server data, logs, configuration and pid files of the running stack. */
  readonly run: string;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env): StackPaths {
  const cache = env.AUDITFLOW_HOME ?? join(homedir(), '.cache', 'auditflow');
  // As root, Elasticsearch runs as a service user that cannot enter /root, so its files live
  // where that user can reach them.
  const run = env.AUDITFLOW_STACK_DIR ?? (isRoot() ? '/var/lib/auditflow/stack' : join(cache, 'stack'));
  return { cache, run };
}
