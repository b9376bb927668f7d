import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createElasticsearchServer,
  createKafkaServer,
  createRegistryServer,
  createS3Server,
  type LocalServer,
  localS3Client,
  resolvePaths,
  type SaslListener,
  type StackPaths,
  startServer,
  stopServer,
} from '@auditflow/stack';
import type { S3Client } from '@aws-sdk/client-s3';

/**
 * A server of this test's own (same install as the stack, other ports, its own data), for tests
 * that stop or kill it without disturbing the shared one.
 */
export interface DedicatedServer {
  /** Its own run directory (data, logs, pid file) under the shared install cache. */
  readonly paths: StackPaths;
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
    paths,
    start: async () => void (await startServer(server, paths)),
    stop: async () => void (await stopServer(server, paths)),
    kill: async () => void (await stopServer(server, paths, 0)),
  };
}

export function dedicatedKafka(
  port: number,
  sasl?: SaslListener,
): DedicatedServer & { readonly brokers: string } {
  return {
    ...dedicated(createKafkaServer(port, port + 1, sasl), `kafka-${port}`),
    brokers: `127.0.0.1:${port}`,
  };
}

export function dedicatedElasticsearch(port: number): DedicatedServer & { readonly url: string } {
  return {
    ...dedicated(createElasticsearchServer(port, port + 100), `es-${port}`),
    url: `http://127.0.0.1:${port}`,
  };
}

/** MinIO with its own data (the archive bucket with Object Lock is made on start). */
export function dedicatedS3(
  port: number,
): DedicatedServer & { readonly endpoint: string; client(): S3Client } {
  const server = dedicated(createS3Server(port, port + 1), `s3-${port}`);
  const endpoint = `http://127.0.0.1:${port}`;
  // Its own credentials, made in its own run directory.
  return { ...server, endpoint, client: () => localS3Client(server.paths, endpoint) };
}

/** Apicurio with its own on-disk database (management interface on `port + 1`). */
export function dedicatedRegistry(port: number): DedicatedServer & { readonly url: string } {
  return {
    ...dedicated(createRegistryServer(port, port + 1), `registry-${port}`),
    url: `http://127.0.0.1:${port}/apis/ccompat/v7`,
  };
}
