import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolvePaths, runningPid, stackStatus } from '@auditflow/stack';

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 1/100 s). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident set size of a process in bytes (Linux /proc), or undefined when it is gone. */
export function rssOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * RSS (MiB) of every stack server (`rss_<server>_mb`) and of every pipeline service that
 * `auditflow up` started and that is running now (pid files under <run>/services/<name>/,
 * `rss_up_<name>_mb`), plus this process (`rss_bench_mb`).
 */
export async function collectRss(): Promise<Record<string, number>> {
  const paths = resolvePaths();
  const out: Record<string, number> = {};
  for (const s of await stackStatus(paths)) {
    if (s.rssBytes !== undefined) out[`rss_${s.name}_mb`] = Math.round(s.rssBytes / 2 ** 20);
  }
  const services = join(paths.run, 'services');
  let names: string[] = [];
  try {
    names = readdirSync(services);
  } catch {
    // `up` never ran here
  }
  for (const name of names) {
    const rss = rssOf(runningPid(join(services, name, `${name}.pid`)));
    if (rss !== undefined) out[`rss_up_${name.replaceAll('-', '_')}_mb`] = Math.round(rss / 2 ** 20);
  }
  out.rss_bench_mb = Math.round(process.memoryUsage.rss() / 2 ** 20);
  return out;
}
