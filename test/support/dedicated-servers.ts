import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createElasticsearchServer,
  createKafkaServer,
  type LocalServer,
  resolvePaths,
  startServer,
  stopServer,
} from '@auditflow/stack';

/**
 * A server of this test's own (same install as the stack, other ports, its own data), for tests
 * that stop or kill it without disturbing the shared one.
 */
export interface DedicatedServer {
  start(): Promise<void>;
  /** Graceful stop (SIGTERM). */
  stop(): Promise<void>;
  /** SIGKILL: the server dies mid-stream. */
  kill(): Promise<void>;
}

function dedicated(server: LocalServer, label: string): DedicatedServer {
  const run = mkdtempSync(join(tmpdir(), `auditflow-${label}-`));
  // Elasticsearch runs as the service user when we are root: it must be able to enter.
  chmodSync(run, 0o755);
  const paths = { cache: resolvePaths().cache, run };
  return {
    start: async () => void (await startServer(server, paths)),
    stop: async () => void (await stopServer(server, paths)),
    kill: async () => void (await stopServer(server, paths, 0)),
  };
}

export function dedicatedKafka(port: number): DedicatedServer & { readonly brokers: string } {
  return { ...dedicated(createKafkaServer(port, port + 1), `kafka-${port}`), brokers: `127.0.0.1:${port}` };
}

export function dedicatedElasticsearch(port: number): DedicatedServer & { readonly url: string } {
  return {
    ...dedicated(createElasticsearchServer(port, port + 100), `es-${port}`),
    url: `http://127.0.0.1:${port}`,
  };
}
