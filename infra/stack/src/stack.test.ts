import { describe, expect, it } from 'vitest';
import { selectServers } from './stack.ts';

describe('selectServers', () => {
  it('selects all six servers by default, in order', () => {
    expect(selectServers(undefined).map((s) => s.name)).toEqual([
      'kafka',
      'registry',
      'elasticsearch',
      'es-exporter',
      's3',
      'prometheus',
    ]);
  });

  it('rejects an unknown name and lists the known ones', () => {
    expect(() => selectServers(['zookeeper'])).toThrowError(/unknown server 'zookeeper'/);
  });

  it('keeps every port the SPEC fixes and never two servers on one port', () => {
    const ports = selectServers(undefined).flatMap((s) => s.ports);
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports).toEqual(expect.arrayContaining([9092, 9200, 9000, 9090]));
  });
});
