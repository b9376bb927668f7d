import { SCRAPE_TARGETS } from '@auditflow/stack';
import { describe, expect, it } from 'vitest';
import { EVERY_SERVICE } from './pipeline.ts';

describe('the local Prometheus scrape targets', () => {
  it('cover the port of every service auditflow up can start', () => {
    const scraped = new Set(SCRAPE_TARGETS.map((t) => t.port));
    const ports = [...new Set(EVERY_SERVICE.flatMap((s) => (s.port === undefined ? [] : [s.port])))];
    expect(ports.filter((port) => !scraped.has(port))).toEqual([]);
    expect(SCRAPE_TARGETS.filter((t) => !ports.includes(t.port))).toEqual([]);
  });
});
