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

/** The end of the current synchronous run: what separates a batch's arrival from a progress report. */
const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('StageProgress', () => {
  it('calls a partition stalled when a batch was handed over and nothing of it finished for longer than the limit', async () => {
    const t = clock();
    const stage = new StageProgress(new Registry(), 60_000, t.now);
    stage.input(0, 15); // a batch arrives
    await nextTick();
    stage.progress(0, 10);
    stage.input(0, 5); // what remains after the finished offset
    await nextTick();
    stage.input(0, 5); // the next batch arrives, and the stage never finishes it
    t.advance(59_000);
    expect(stage.stalls()).toEqual([]);
    t.advance(2_000);
    expect(stage.stalls()).toEqual([{ partition: '0', pending: 5, idleMs: 61_000 }]);
    stage.progress(0, 5);
    expect(stage.stalls()).toEqual([]);
  });

  it('starts the clock of an idle partition when its input arrives, not at its last progress', async () => {
    const t = clock();
    const stage = new StageProgress(new Registry(), 60_000, t.now);
    stage.progress(1);
    stage.input(1, 0);
    await nextTick();
    t.advance(3_600_000);
    stage.input(1, 100);
    expect(stage.stalls()).toEqual([]);
    t.advance(61_000);
    expect(stage.stalls().map((s) => s.partition)).toEqual(['1']);
  });

  it('does not call a caught-up partition stalled for the commit marker above its last event', async () => {
    const t = clock();
    const stage = new StageProgress(new Registry(), 60_000, t.now);
    stage.input(2, 40);
    await nextTick();
    // The last event is at the high watermark minus 2: one offset remains, never delivered.
    stage.progress(2, 40);
    stage.input(2, 1);
    await nextTick();
    t.advance(3_600_000);
    expect(stage.stalls()).toEqual([]);
    // New events: handed over again, and a stage that then stops is stalled.
    stage.input(2, 21);
    t.advance(61_000);
    expect(stage.stalls()).toEqual([{ partition: '2', pending: 21, idleMs: 61_000 }]);
  });

  it('starts the clock at progress when more than the commit marker remains (an open roll), and a stage that stops there stalls', async () => {
    const t = clock();
    const stage = new StageProgress(new Registry(), 30_000, t.now);
    stage.input(3, 120);
    await nextTick();
    stage.progress(3, 20); // a roll written; 100 events fetched into the next roll remain
    stage.input(3, 100);
    await nextTick();
    t.advance(29_000);
    expect(stage.stalls()).toEqual([]);
    t.advance(2_000);
    expect(stage.stalls()).toEqual([{ partition: '3', pending: 100, idleMs: 31_000 }]);
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
    await nextTick();
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
