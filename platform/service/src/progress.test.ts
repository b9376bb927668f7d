import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { serveHealth } from './health.ts';
import {
  describeStall,
  healthHostFromEnv,
  STAGE_METRICS,
  StageProgress,
  stallSecondsFromEnv,
} from './progress.ts';

function clock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('StageProgress', () => {
  it('calls a partition stalled when input waits and nothing moved for longer than the limit', () => {
    const t = clock();
    const stage = new StageProgress(new Registry(), 60_000, t.now);
    stage.progress(0, 10);
    stage.input(0, 5);
    t.advance(59_000);
    expect(stage.stalls()).toEqual([]);
    t.advance(2_000);
    expect(stage.stalls()).toEqual([{ partition: '0', pending: 5, idleMs: 61_000 }]);
    stage.progress(0, 5);
    expect(stage.stalls()).toEqual([]);
  });

  it('starts the clock of an idle partition when its input arrives, not at its last progress', () => {
    const t = clock();
    const stage = new StageProgress(new Registry(), 60_000, t.now);
    stage.progress(1);
    stage.input(1, 0);
    t.advance(3_600_000);
    stage.input(1, 100);
    expect(stage.stalls()).toEqual([]);
    t.advance(61_000);
    expect(stage.stalls().map((s) => s.partition)).toEqual(['1']);
  });

  it('is not stalled without input, and forgets a partition taken by a rebalance', () => {
    const t = clock();
    const stage = new StageProgress(new Registry(), 1_000, t.now);
    stage.input(2, 0);
    stage.input(3, 7);
    t.advance(5_000);
    expect(stage.stalls().map((s) => s.partition)).toEqual(['3']);
    stage.forget(3);
    expect(stage.stalls()).toEqual([]);
  });

  it('exposes progress, lag, last progress and stalled partitions as metrics', async () => {
    const t = clock(2_000_000);
    const registry = new Registry();
    const stage = new StageProgress(registry, 1_000, t.now);
    stage.progress(4, 3);
    stage.input(4, 9);
    t.advance(1_500);
    const text = await registry.metrics();
    expect(text).toContain(`${STAGE_METRICS.progressed}{partition="4"} 3`);
    expect(text).toContain(`${STAGE_METRICS.pending}{partition="4"} 9`);
    expect(text).toContain(`${STAGE_METRICS.lastProgress}{partition="4"} 2000`);
    expect(text).toContain(`${STAGE_METRICS.stalled} 1`);
    expect(text).toContain(`${STAGE_METRICS.stallAfter} 1`);
  });

  it('names the partition, the waiting input, the idle time and the setting in the reason', () => {
    expect(describeStall({ partition: '3', pending: 1200, idleMs: 95_400 }, 60_000)).toBe(
      'stalled: partition 3 has 1200 events waiting and no progress for 95 s (limit 60 s, AUDITFLOW_STALL_SECONDS)',
    );
  });
});

describe('stallSecondsFromEnv', () => {
  it('defaults to 120 s and refuses nonsense with the setting named', () => {
    expect(stallSecondsFromEnv({})).toBe(120);
    expect(stallSecondsFromEnv({ AUDITFLOW_STALL_SECONDS: '30' })).toBe(30);
    expect(() => stallSecondsFromEnv({ AUDITFLOW_STALL_SECONDS: '0' })).toThrow(
      /AUDITFLOW_STALL_SECONDS: at least 1/,
    );
    expect(() => stallSecondsFromEnv({ AUDITFLOW_STALL_SECONDS: 'soon' })).toThrow(/AUDITFLOW_STALL_SECONDS/);
  });
});

describe('healthHostFromEnv', () => {
  it('listens on loopback by default and takes an IP address, refusing anything else', () => {
    expect(healthHostFromEnv({})).toBe('127.0.0.1');
    expect(healthHostFromEnv({ AUDITFLOW_HEALTH_HOST: '0.0.0.0' })).toBe('0.0.0.0');
    expect(() => healthHostFromEnv({ AUDITFLOW_HEALTH_HOST: 'every where' })).toThrow(
      /AUDITFLOW_HEALTH_HOST/,
    );
  });
});

describe('serveHealth /readyz', () => {
  it('turns not ready with the reason when a partition stalls, and ready again when it moves', async () => {
    const registry = new Registry();
    const health = await serveHealth({
      port: 0,
      registry,
      ready: () => true,
      stallAfterSeconds: 2,
      diskPaths: ['.'],
    });
    try {
      const url = `http://127.0.0.1:${health.port}`;
      health.input(0, 42);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2_200));
      const res = await fetch(`${url}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { ready: boolean; reasons: string[] };
      expect(body.ready).toBe(false);
      expect(body.reasons[0]).toMatch(
        /^stalled: partition 0 has 42 events waiting and no progress for \d+ s/,
      );
      health.progress(0, 42);
      health.input(0, 0);
      expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ ready: true });
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/auditflow_filesystem_avail_bytes\{path="\."\} \d+/);
      expect(metrics).toContain('process_cpu_user_seconds_total');
    } finally {
      health.server.close();
    }
  });

  it('gives the service own not-ready as a reason', async () => {
    const health = await serveHealth({
      port: 0,
      registry: new Registry(),
      ready: () => false,
      stallAfterSeconds: 60,
    });
    try {
      const res = await fetch(`http://127.0.0.1:${health.port}/readyz`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { reasons: string[] }).reasons).toHaveLength(1);
    } finally {
      health.server.close();
    }
  });
});
