import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JMX_AGENT_VERSION, jmxAgentConfig, jmxAgentOption } from './jmx-agent.ts';
import { createKafkaServer, KAFKA_METRICS_PORT, kafka } from './kafka.ts';

const paths = { cache: '/cache', run: '/run' };

describe('JMX exporter agent', () => {
  it('is attached on loopback with the repository rules', () => {
    expect(jmxAgentOption(paths, 9404, '/rules/kafka.yml')).toBe(
      `-javaagent:/cache/dist/jmx-prometheus-javaagent-${JMX_AGENT_VERSION}/jmx_prometheus_javaagent-${JMX_AGENT_VERSION}.jar=127.0.0.1:9404:/rules/kafka.yml`,
    );
    const rules = readFileSync(jmxAgentConfig('kafka'), 'utf8');
    // Only the MBeans the rules read: the broker has thousands.
    expect(rules).toContain('includeObjectNames:');
    expect(rules).toContain('UnderReplicatedPartitions');
    expect(existsSync(jmxAgentConfig('schema-registry'))).toBe(true);
  });

  it("is the stack broker's, on its own port; a test's broker has none unless given a port", () => {
    expect(kafka.ports).toContain(KAFKA_METRICS_PORT);
    expect(createKafkaServer(19092, 19093).ports).toEqual([19092, 19093]);
    expect(createKafkaServer(19092, 19093, undefined, 19404).ports).toEqual([19092, 19093, 19404]);
  });

  it('tells how to restart a broker an older stack started without the agent', async () => {
    const lines: string[] = [];
    // Nothing listens on port 1: the broker serves no metrics.
    await createKafkaServer(19092, 19093, undefined, 1).afterReady?.(paths, (line) => lines.push(line));
    expect(lines).toEqual([
      expect.stringContaining('pnpm auditflow stack down kafka && pnpm auditflow stack up'),
    ]);
    const quiet: string[] = [];
    await createKafkaServer(19092, 19093).afterReady?.(paths, (line) => quiet.push(line));
    expect(quiet).toEqual([]);
  });
});
