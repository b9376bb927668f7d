import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafkaServer, resolvePaths, startServer, stopServer } from '@auditflow/stack';

/**
 * A Kafka broker of this test's own (same jars as the stack, other ports, its own data), for
 * tests that stop or kill a broker without disturbing the shared one.
 */
export interface DedicatedKafka {
  readonly brokers: string;
  start(): Promise<void>;
  /** Graceful stop (SIGTERM, controlled shutdown). */
  stop(): Promise<void>;
  /** SIGKILL: the broker dies mid-stream. */
  kill(): Promise<void>;
}

export function dedicatedKafka(port: number): DedicatedKafka {
  const server = createKafkaServer(port, port + 1);
  const paths = { cache: resolvePaths().cache, run: mkdtempSync(join(tmpdir(), `auditflow-kafka-${port}-`)) };
  return {
    brokers: `127.0.0.1:${port}`,
    start: async () => void (await startServer(server, paths)),
    stop: async () => void (await stopServer(server, paths)),
    kill: async () => void (await stopServer(server, paths, 0)),
  };
}
