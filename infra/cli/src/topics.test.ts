import { describe, expect, it } from 'vitest';
import { topicSpecs } from './topics.ts';

const config = (spec: ReturnType<typeof topicSpecs>[number], name: string) =>
  spec.configEntries?.find((e) => e.name === name)?.value;

describe('topicSpecs', () => {
  it('makes the five SPEC topics with the requested partitions', () => {
    const specs = topicSpecs(6, 1);
    expect(specs.map((s) => s.topic)).toEqual([
      'audit.raw.v1',
      'audit.sanitized.v1',
      'audit.clean.v1',
      'audit.dlq.v1',
      'audit.quarantine.v1',
    ]);
    expect(specs.every((s) => s.numPartitions === 6)).toBe(true);
  });

  it('fits replication and min ISR to the cluster: 1 on one broker, 3 and 2 on three or more', () => {
    const single = topicSpecs(6, 1)[0];
    const cluster = topicSpecs(12, 5)[0];
    expect(single?.replicationFactor).toBe(1);
    expect(single && config(single, 'min.insync.replicas')).toBe('1');
    expect(cluster?.replicationFactor).toBe(3);
    expect(cluster && config(cluster, 'min.insync.replicas')).toBe('2');
  });

  it('keeps the clean topic longer than raw, as the resume window for subscribers', () => {
    const specs = topicSpecs(1, 1);
    const retention = (t: string) =>
      Number(config(specs.find((s) => s.topic === t) as never, 'retention.ms'));
    expect(retention('audit.clean.v1')).toBeGreaterThan(retention('audit.raw.v1'));
  });
});
