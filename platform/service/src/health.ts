import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import {
  describeStall,
  healthHostFromEnv,
  registerFilesystemMetrics,
  StageProgress,
  stallSecondsFromEnv,
} from './progress.ts';

/** A metric of prom-client's default set: its presence means the set is registered already. */
const DEFAULT_METRIC = 'process_cpu_user_seconds_total';

/**
 * `/healthz` (alive), `/readyz` (doing its job), `/metrics` (Prometheus) for a long-running process.
 *
 * The consume loop reports to the returned handle: `progress(partition, events)` after input of a
 * partition is finished (committed, indexed, archived), `input(partition, pending)` with the
 * partition's lag whenever it learns it (e.g. each fetched batch's high watermark minus the
 * position), `forget(partition)` when a rebalance takes the partition away. A partition with input
 * waiting and no progress for `stallAfterSeconds` (default `AUDITFLOW_STALL_SECONDS`, 120) makes
 * `/readyz` answer 503 with the reason, and shows in `auditflow_stage_*` metrics.
 */
export async function serveHealth(options: {
  port: number;
  host?: string;
  registry: Registry;
  ready: () => boolean;
  stallAfterSeconds?: number;
  /** File systems whose free space `/metrics` reports (default: the spool and the working directory). */
  diskPaths?: readonly string[];
}): Promise<{
  server: Server;
  port: number;
  progress: (partition: number | string, events?: number) => void;
  input: (partition: number | string, pending: number) => void;
  forget: (partition: number | string) => void;
  stages: StageProgress;
}> {
  const stallAfterMs = (options.stallAfterSeconds ?? stallSecondsFromEnv()) * 1000;
  // Read before anything starts, so a bad value stops the start with the setting named.
  const host = options.host ?? healthHostFromEnv();
  const stages = new StageProgress(options.registry, stallAfterMs);
  if (!options.registry.getSingleMetric(DEFAULT_METRIC))
    collectDefaultMetrics({ register: options.registry });
  registerFilesystemMetrics(
    options.registry,
    options.diskPaths ?? [process.env.AUDITFLOW_SPOOL_DIR, process.cwd()].filter((p): p is string => !!p),
  );
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (path === '/readyz') {
      const reasons = stages.stalls().map((stall) => describeStall(stall, stallAfterMs));
      if (!options.ready()) reasons.unshift('not ready: starting, stopping, or its own check failed');
      const ready = reasons.length === 0;
      res
        .writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify(ready ? { ready } : { ready, reasons }));
    } else if (path === '/metrics') {
      void options.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': options.registry.contentType }).end(text);
      });
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port, host, resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    progress: (partition, events) => stages.progress(partition, events),
    input: (partition, pending) => stages.input(partition, pending),
    forget: (partition) => stages.forget(partition),
    stages,
  };
}
