import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installMavenArtifact } from '../install.ts';
import type { StackPaths } from '../paths.ts';

/**
 * Prometheus' JMX exporter as a Java agent (`io.prometheus.jmx:jmx_prometheus_javaagent` from
 * Maven Central): the broker serves its own MBeans as Prometheus metrics on a port of its own, so
 * no separate exporter process (kafka_exporter is not reachable from here) has to be run.
 */
export const JMX_AGENT_VERSION = '1.0.1';
const JMX_AGENT_COORDINATES = `io.prometheus.jmx:jmx_prometheus_javaagent:${JMX_AGENT_VERSION}:jar`;

function agentDir(paths: StackPaths): string {
  return join(paths.cache, 'dist', `jmx-prometheus-javaagent-${JMX_AGENT_VERSION}`);
}

/** Fetches the agent jar once into the cache. */
export async function installJmxAgent(paths: StackPaths): Promise<void> {
  await installMavenArtifact(agentDir(paths), JMX_AGENT_COORDINATES);
}

/** Where `installJmxAgent` puts the jar (Maven's file name for the artifact). */
export function jmxAgentJar(paths: StackPaths): string {
  return join(agentDir(paths), `jmx_prometheus_javaagent-${JMX_AGENT_VERSION}.jar`);
}

/** infra/prometheus/jmx in the repository (the same from src/servers and dist/servers). */
const JMX_CONFIG_DIR = fileURLToPath(new URL('../../../prometheus/jmx/', import.meta.url));

/** The agent's rules for one server, in the repository (infra/prometheus/jmx/<name>.yml). */
export function jmxAgentConfig(name: string): string {
  return join(JMX_CONFIG_DIR, `${name}.yml`);
}

/** The JVM option that starts the agent: metrics on `127.0.0.1:port` with the rules of `config`. */
export function jmxAgentOption(paths: StackPaths, port: number, config: string): string {
  return `-javaagent:${jmxAgentJar(paths)}=127.0.0.1:${port}:${config}`;
}
