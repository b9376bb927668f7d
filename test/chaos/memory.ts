import { readFileSync } from 'node:fs';
import { rssOf } from '../bench/rss.ts';

export interface MemorySample {
  readonly at: number;
  readonly rssMb: number;
  /** From the service's own probe (memory-probe.ts); undefined until it wrote once. */
  readonly heapUsedMb: number | undefined;
  /** Memory outside the JS heap that V8 knows of (Buffers, ArrayBuffers), from the same probe. */
  readonly externalMb: number | undefined;
}

const MB = 2 ** 20;

/** RSS from /proc and the heap the probe last wrote, for one process. */
export function sampleMemory(pid: number | undefined, probeFile: string): MemorySample | undefined {
  const rss = rssOf(pid);
  if (rss === undefined) return undefined;
  let heapUsedMb: number | undefined;
  let externalMb: number | undefined;
  try {
    const probe = JSON.parse(readFileSync(probeFile, 'utf8')) as {
      pid: number;
      heapUsed: number;
      external: number;
    };
    if (probe.pid === pid) {
      heapUsedMb = probe.heapUsed / MB;
      externalMb = probe.external / MB;
    }
  } catch {
    // not written yet
  }
  return { at: Date.now(), rssMb: rss / MB, heapUsedMb, externalMb };
}

export interface MemoryGrowth {
  readonly start: MemorySample;
  readonly end: MemorySample;
  readonly peakRssMb: number;
  readonly rssGrowthPct: number;
  readonly heapGrowthPct: number | undefined;
}

/** A process's own warm-up (loading modules, connecting, first fetches) before its memory means anything. */
const LIFETIME_WARM_UP_MS = 60_000;

/**
 * Growth from the first sample after the warm-up (the run's, and the process's own first
 * minute) to the last one, over the samples of one process lifetime (a restart starts a new
 * series: pass the last one). Undefined when that lifetime is too short to say.
 */
export function growth(samples: readonly MemorySample[], warmUpUntil: number): MemoryGrowth | undefined {
  const born = samples[0]?.at ?? 0;
  const start = samples.find((s) => s.at >= warmUpUntil && s.at >= born + LIFETIME_WARM_UP_MS);
  const end = samples.at(-1);
  if (!start || !end || end === start) return undefined;
  const pct = (a: number, b: number) => Math.round(((b - a) / a) * 1000) / 10;
  return {
    start,
    end,
    peakRssMb: Math.max(...samples.map((s) => s.rssMb)),
    rssGrowthPct: pct(start.rssMb, end.rssMb),
    heapGrowthPct:
      start.heapUsedMb !== undefined && end.heapUsedMb !== undefined
        ? pct(start.heapUsedMb, end.heapUsedMb)
        : undefined,
  };
}
