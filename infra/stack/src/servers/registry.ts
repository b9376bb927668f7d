import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { installMavenArtifact, unpack } from '../install.ts';
import { pickJdk } from '../jdk.ts';
import type { StackPaths } from '../paths.ts';
import { type LocalServer, probe } from './server.ts';

export const REGISTRY_VERSION = '3.3.3';
export const REGISTRY_PORT = 8081;
/**
 * Quarkus' management interface defaults to 0.0.0.0:9000, which is the S3 port. It also serves
 * the registry's Prometheus metrics (Micrometer, at /metrics), which the stack's Prometheus reads.
 */
export const REGISTRY_MANAGEMENT_PORT = 8085;
const MANAGEMENT_PORT = REGISTRY_MANAGEMENT_PORT;
export const REGISTRY_URL = `http://127.0.0.1:${REGISTRY_PORT}/apis/ccompat/v7`;

function appDir(paths: StackPaths): string {
  return join(paths.cache, 'dist', `apicurio-registry-${REGISTRY_VERSION}`, 'app');
}

/**
 * Apicurio on `port` (management interface on `managementPort`). The stack runs one on 8081;
 * tests that must stop the registry start their own on other ports.
 */
export function createRegistryServer(port = REGISTRY_PORT, managementPort = MANAGEMENT_PORT): LocalServer {
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
  return {
    name: 'registry',
    title: 'Apicurio Registry (Confluent-compatible API)',
    version: REGISTRY_VERSION,
    ports: [port, managementPort],
    startTimeoutS: 90,

    async install(paths) {
      const archive = await installMavenArtifact(
        join(paths.cache, 'dist', `apicurio-registry-${REGISTRY_VERSION}`, 'download'),
        `io.apicurio:apicurio-registry-app:${REGISTRY_VERSION}:tar.gz:all`,
      );
      await unpack(archive, appDir(paths));
    },

    async prepare(_paths, dirs) {
      mkdirSync(dirs.data, { recursive: true });
    },

    launch: (paths, dirs) => ({
      // Apicurio 3.x is compiled for Java 21.
      command: join(pickJdk('Apicurio Registry', 21).home, 'bin', 'java'),
      args: [
        '-Xms128m',
        '-Xmx384m',
        '-Dquarkus.http.host=127.0.0.1',
        `-Dquarkus.http.port=${port}`,
        '-Dquarkus.management.host=127.0.0.1',
        `-Dquarkus.management.port=${managementPort}`,
        // H2 on disk instead of the default in-memory database: schema ids must survive a
        // registry restart, or messages already in Kafka would point at ids that no longer exist.
        `-Dapicurio.datasource.url=jdbc:h2:file:${join(dirs.data, 'registry')}`,
        '-jar',
        join(appDir(paths), 'quarkus-run.jar'),
      ],
      cwd: dirs.root,
    }),

    async ready() {
      const health = await probe(`http://127.0.0.1:${managementPort}/health/ready`);
      if (health?.status !== 200) return false;
      return (await probe(`${url}/subjects`))?.status === 200;
    },

    async runningVersion() {
      const res = await probe(`http://127.0.0.1:${port}/apis/registry/v3/system/info`);
      if (res?.status !== 200) return undefined;
      return (JSON.parse(res.body) as { version?: string }).version;
    },
  };
}

export const registry: LocalServer = createRegistryServer();
