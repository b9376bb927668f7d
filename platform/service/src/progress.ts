import { statfsSync } from 'node:fs';
import { isIP } from 'node:net';
import { Counter, Gauge, type Registry } from 'prom-client';
import { z } from 'zod';

/**
 * Progress of a consuming stage per input partition, for `/readyz` and `/metrics` (issue 20): a
 * stage whose partition has input waiting and that has not finished any of it for `stallAfterMs`
 * is stalled, and a stalled stage is not ready. The consume loop reports; this
 * module only keeps time.
 *
 * The loop reports `input()` twice: when a batch arrives (work handed over), and right after each
 * `progress()` (in the same synchronous run) with what remains above the finished offset. A
 * remainder of one offset is not work: on a topic written in transactions the high watermark stays
 * one offset above the last event (the commit marker, which a read_committed consumer never
 * receives), so a caught-up partition reports 1 remaining forever. A larger remainder is work
 * already fetched or still to fetch (e.g. the archiver's open roll), and a stage that does not
 * finish any of it stalls.
 */

/** Offsets above the last event of a caught-up partition of a transactional topic: its commit marker. */
const COMMIT_MARKER_OFFSETS = 1;

/** The metric names the alert rules, recording rules, dashboard and `auditflow status` read. */
export const STAGE_METRICS = {
  progressed: 'auditflow_stage_progressed_events_total',
  pending: 'auditflow_stage_input_pending_events',
  lastProgress: 'auditflow_stage_last_progress_timestamp_seconds',
  stalled: 'auditflow_stage_stalled_partitions',
  stallAfter: 'auditflow_stage_stall_after_seconds',
  fsAvail: 'auditflow_filesystem_avail_bytes',
  fsSize: 'auditflow_filesystem_size_bytes',
} as const;

export const STALL_SECONDS_ENV = 'AUDITFLOW_STALL_SECONDS';
/** Two minutes: longer than a broker failover or a rebalance, short enough to page before users notice. */
export const DEFAULT_STALL_SECONDS = 120;

const stallSchema = z.coerce
  .number()
  .int()
  .min(1, 'at least 1 second; the default is 120')
  .max(86_400, 'at most 86400 seconds (a day)')
  .default(DEFAULT_STALL_SECONDS);

export const HEALTH_HOST_ENV = 'AUDITFLOW_HEALTH_HOST';

/**
 * Where /healthz /readyz /metrics listen: loopback unless `AUDITFLOW_HEALTH_HOST` says otherwise
 * (compose sets 0.0.0.0 so Prometheus in its own container can scrape).
 */
export function healthHostFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env[HEALTH_HOST_ENV];
  if (raw === undefined || raw === '') return '127.0.0.1';
  if (isIP(raw) === 0 && raw !== 'localhost') {
    throw new Error(
      `invalid configuration: ${HEALTH_HOST_ENV}: an IP address to listen on, e.g. 0.0.0.0 (got '${raw}')`,
    );
  }
  return raw;
}

/** `AUDITFLOW_STALL_SECONDS`, read once at start; the error names the setting and the rule. */
export function stallSecondsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[STALL_SECONDS_ENV];
  const parsed = stallSchema.safeParse(raw === '' ? undefined : raw);
  if (parsed.success) return parsed.data;
  throw new Error(
    `invalid configuration: ${STALL_SECONDS_ENV}: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
  );
}

export interface Stall {
  readonly partition: string;
  readonly pending: number;
  /** Milliseconds since input has waited that the stage has not finished any of. */
  readonly idleMs: number;
}

interface PartitionState {
  lastProgressMs: number | undefined;
  pending: number;
  /** Since when input has waited that the stage has not finished any of: the stall clock. */
  handedSinceMs: number | undefined;
  /** Set by progress() until the end of the current synchronous run (see the module comment). */
  justProgressed: boolean;
}

function gauge(registry: Registry, name: string, help: string, labelNames: string[]): Gauge<string> {
  const existing = registry.getSingleMetric(name);
  return (
    (existing as Gauge<string> | undefined) ?? new Gauge({ name, help, labelNames, registers: [registry] })
  );
}

/** Per-partition progress and input of one stage; see the module comment. */
export class StageProgress {
  private readonly partitions = new Map<string, PartitionState>();
  private readonly progressed: Counter<'partition'>;
  private readonly pendingGauge: Gauge<string>;
  private readonly lastProgressGauge: Gauge<string>;

  constructor(
    registry: Registry,
    readonly stallAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.progressed =
      (registry.getSingleMetric(STAGE_METRICS.progressed) as Counter<'partition'> | undefined) ??
      new Counter({
        name: STAGE_METRICS.progressed,
        help: 'Input events this stage has finished with (committed, indexed, archived...), per input partition',
        labelNames: ['partition'],
        registers: [registry],
      });
    this.pendingGauge = gauge(
      registry,
      STAGE_METRICS.pending,
      'Input events waiting for this stage (its consumer lag), per input partition, as last reported',
      ['partition'],
    );
    this.lastProgressGauge = gauge(
      registry,
      STAGE_METRICS.lastProgress,
      'Unix time this stage last finished input of the partition',
      ['partition'],
    );
    const stalls = () => this.stalls();
    if (!registry.getSingleMetric(STAGE_METRICS.stalled)) {
      new Gauge({
        name: STAGE_METRICS.stalled,
        help: `Partitions with input waiting and no progress for ${STALL_SECONDS_ENV} (the stage is not ready)`,
        registers: [registry],
        collect() {
          this.set(stalls().length);
        },
      });
    }
    gauge(
      registry,
      STAGE_METRICS.stallAfter,
      `${STALL_SECONDS_ENV}: no progress for this long is a stall`,
      [],
    ).set(stallAfterMs / 1000);
  }

  private state(partition: number | string): PartitionState {
    const key = String(partition);
    let state = this.partitions.get(key);
    if (!state) {
      state = { lastProgressMs: undefined, pending: 0, handedSinceMs: undefined, justProgressed: false };
      this.partitions.set(key, state);
    }
    return state;
  }

  /** The stage finished `events` input events of `partition` (after its commit, write or send). */
  progress(partition: number | string, events = 1): void {
    const state = this.state(partition);
    const now = this.now();
    state.lastProgressMs = now;
    state.handedSinceMs = undefined;
    if (!state.justProgressed) {
      state.justProgressed = true;
      queueMicrotask(() => {
        state.justProgressed = false;
      });
    }
    this.progressed.inc({ partition: String(partition) }, events);
    this.lastProgressGauge.set({ partition: String(partition) }, now / 1000);
  }

  /**
   * `pending` input events of `partition` wait for this stage (high watermark minus position): at
   * a batch's arrival (handed over), or right after `progress()` (what remains; see the module comment).
   */
  input(partition: number | string, pending: number): void {
    const state = this.state(partition);
    const waiting = Math.max(0, pending);
    const caughtUp = waiting === 0 || (state.justProgressed && waiting <= COMMIT_MARKER_OFFSETS);
    if (caughtUp) state.handedSinceMs = undefined;
    else if (state.handedSinceMs === undefined) state.handedSinceMs = this.now();
    state.pending = waiting;
    this.pendingGauge.set({ partition: String(partition) }, waiting);
  }

  /** The partition went to another instance (rebalance): its lag is no longer this stage's. */
  forget(partition: number | string): void {
    const key = String(partition);
    this.partitions.delete(key);
    this.pendingGauge.remove({ partition: key });
    this.lastProgressGauge.remove({ partition: key });
  }

  /** Partitions with input waiting and no progress for longer than the stall limit. */
  stalls(): Stall[] {
    const now = this.now();
    const out: Stall[] = [];
    for (const [partition, state] of this.partitions) {
      if (state.pending === 0 || state.handedSinceMs === undefined) continue;
      const idleMs = now - state.handedSinceMs;
      if (idleMs > this.stallAfterMs) out.push({ partition, pending: state.pending, idleMs });
    }
    return out;
  }
}

/** The reason `/readyz` gives for a stall, e.g. `partition 3: 1200 events waiting, no progress for 95 s`. */
export function describeStall(stall: Stall, stallAfterMs: number): string {
  return `stalled: partition ${stall.partition} has ${stall.pending} events waiting and no progress for ${Math.round(
    stall.idleMs / 1000,
  )} s (limit ${Math.round(stallAfterMs / 1000)} s, ${STALL_SECONDS_ENV})`;
}

/**
 * Free and total bytes of the file systems the service writes to (its spool and working
 * directory), read at each scrape: the "disk nearly full" alert needs no node exporter.
 */
export function registerFilesystemMetrics(registry: Registry, paths: readonly string[]): void {
  if (registry.getSingleMetric(STAGE_METRICS.fsAvail)) return;
  const read = (path: string) => {
    try {
      const s = statfsSync(path);
      return { avail: s.bavail * s.bsize, size: s.blocks * s.bsize };
    } catch {
      return undefined; // not there (yet): no sample rather than a wrong one
    }
  };
  const unique = [...new Set(paths)];
  const gauges = [
    {
      name: STAGE_METRICS.fsAvail,
      help: 'Bytes available to this process on the file system holding path',
      key: 'avail',
    },
    { name: STAGE_METRICS.fsSize, help: 'Size in bytes of the file system holding path', key: 'size' },
  ] as const;
  for (const { name, help, key } of gauges) {
    new Gauge({
      name,
      help,
      labelNames: ['path'],
      registers: [registry],
      collect() {
        for (const path of unique) {
          const r = read(path);
          if (r) this.set({ path }, r[key]);
        }
      },
    });
  }
}
