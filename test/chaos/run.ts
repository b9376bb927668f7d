import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile } from '../bench/stats.ts';
import { finalChecks } from './checks.ts';
import type { Fault, FaultPlan } from './faults.ts';
import { Harness, type HarnessOptions } from './harness.ts';
import { digestLog, readLog } from './logs.ts';
import { growth } from './memory.ts';
import type { Tally } from './sightings.ts';

export interface RunOptions extends Omit<HarnessOptions, 'log'> {
  readonly quick: boolean;
  readonly faults: readonly Fault[];
  readonly plan: FaultPlan;
  /** Soak: this long of steady traffic and no faults (ms); 0 for a chaos run. */
  readonly soakMs: number;
  readonly recoveryTimeoutMs: number;
  readonly drainTimeoutMs: number;
  readonly keepWorkDir: boolean;
  readonly log: (line: string) => void;
}

export interface FaultResult {
  readonly name: string;
  readonly what: string;
  readonly recovery_s: number | null;
  readonly notes: string[];
  /** Services that exited without being told to (and were restarted), during the fault or its recovery. */
  readonly unplanned_exits: string[];
  /** Events still missing per stage when the recovery limit ran out. */
  readonly missing_at_timeout?: Record<string, number>;
  /** Acknowledged events of this fault's window that were lost or duplicated somewhere. */
  lost: number;
  duplicated: number;
  /** Where the doubled events were first doubled (raw: the producer sent twice). */
  readonly doubled_from: Record<string, number>;
  /** What an operator saw: warnings and errors per service log in the fault's window. */
  readonly logs: Record<string, [string, number][]>;
}

export type ChaosResult = Record<string, unknown> & {
  readonly ok: boolean;
  readonly problems: string[];
  readonly fault_results: FaultResult[];
};

const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

async function injectAll(
  h: Harness,
  options: RunOptions,
): Promise<(FaultResult & { start: number; until: number })[]> {
  const results: (FaultResult & { start: number; until: number })[] = [];
  for (const fault of options.faults) {
    if (fault.needs && !options.dedicated.includes(fault.needs)) {
      options.log(`fault ${fault.name}: skipped (${fault.needs} is not the harness's own server)`);
      continue;
    }
    const what = fault.what(options.plan);
    options.log(`fault ${fault.name}: ${what}`);
    const exitsBefore = h.unplannedExits.length;
    let injected: Awaited<ReturnType<Fault['run']>>;
    try {
      injected = await fault.run(h, options.plan);
    } catch (err) {
      options.log(`fault ${fault.name}: injection failed: ${(err as Error).message}`);
      results.push({
        name: fault.name,
        what,
        recovery_s: null,
        notes: [`injection failed: ${(err as Error).message}`],
        unplanned_exits: [],
        lost: 0,
        duplicated: 0,
        doubled_from: {},
        logs: {},
        start: Date.now(),
        until: Date.now(),
      });
      continue;
    }
    const caught = await h.caughtUp(injected.end, options.recoveryTimeoutMs);
    const until = Date.now();
    const logs: Record<string, [string, number][]> = {};
    for (const s of h.services.values()) {
      const digest = digestLog(readLog(s.log), injected.start, until);
      if (digest.messages.length > 0) logs[s.name] = digest.messages;
    }
    const result = {
      name: fault.name,
      what,
      recovery_s: caught.seconds === undefined ? null : round(caught.seconds),
      notes: injected.notes,
      unplanned_exits: h.unplannedExits
        .slice(exitsBefore)
        .map((e) => `${e.service} (code ${e.code}, signal ${e.signal})`),
      ...(caught.seconds === undefined ? { missing_at_timeout: caught.missing } : {}),
      lost: 0,
      duplicated: 0,
      doubled_from: {},
      logs,
      start: injected.start,
      until,
    };
    options.log(
      `fault ${fault.name}: ${result.recovery_s === null ? `NOT caught up within ${options.recoveryTimeoutMs / 1000} s (missing ${JSON.stringify(caught.missing)})` : `caught up ${result.recovery_s} s after the fault ended`}`,
    );
    results.push(result);
    await sleep(3000);
  }
  return results;
}

/** Per service: growth of RSS (and heap) over the last process lifetime, from the end of the warm-up. */
function memoryReport(h: Harness, warmUpUntil: number) {
  const rss_growth_pct: Record<string, number | null> = {};
  const heap_growth_pct: Record<string, number> = {};
  const memory_mb: Record<string, Record<string, number | null>> = {};
  const restarts: Record<string, number> = {};
  for (const [name, series] of h.memory) {
    restarts[name] = series.length - 1;
    const g = growth(series.at(-1) ?? [], warmUpUntil);
    rss_growth_pct[name] = g?.rssGrowthPct ?? null;
    if (!g) continue;
    if (g.heapGrowthPct !== undefined) heap_growth_pct[name] = g.heapGrowthPct;
    memory_mb[name] = {
      rss_start: round(g.start.rssMb),
      rss_end: round(g.end.rssMb),
      rss_peak: round(g.peakRssMb),
      heap_start: g.start.heapUsedMb === undefined ? null : round(g.start.heapUsedMb),
      heap_end: g.end.heapUsedMb === undefined ? null : round(g.end.heapUsedMb),
      external_start: g.start.externalMb === undefined ? null : round(g.start.externalMb),
      external_end: g.end.externalMb === undefined ? null : round(g.end.externalMb),
      minutes: round((g.end.at - g.start.at) / 60_000),
    };
  }
  return { rss_growth_pct, heap_growth_pct, memory_mb, restarts };
}

/** Which fault's window an acknowledgement time falls in (a fault's effects start a little before it: batches in hand). */
function attribute(faults: readonly (FaultResult & { start: number; until: number })[], at: number): number {
  return faults.findIndex((f) => at >= f.start - 30_000 && at <= f.until);
}

/** Doubled event ids logged per fault, to look up in the services' logs (kept with --keep). */
const DOUBLED_IDS_LOGGED = 5;

/** A whole chaos (or soak) run: start, inject, drain, account, stop. */
export async function runChaos(options: RunOptions): Promise<ChaosResult> {
  const h = new Harness(options);
  // Ctrl-C or a kill stops the services and dedicated servers too: they run detached (their own
  // process groups, see pipeline-services.ts) and would outlive the harness.
  const interrupted = (signal: NodeJS.Signals) => {
    options.log(`${signal}: stopping the services and servers`);
    void h.shutdown({ keepWorkDir: options.keepWorkDir }).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const loadBefore = loadavg()[0] as number;
  const started = Date.now();
  try {
    await h.start();
    await sleep(10_000); // warm-up before the first fault
    const warmUpUntil =
      options.soakMs > 0 ? Date.now() + Math.min(300_000, options.soakMs * 0.2) : Date.now();
    let faults: (FaultResult & { start: number; until: number })[] = [];
    if (options.soakMs > 0) {
      options.log(`soak: ${options.soakMs / 60_000} min of steady traffic, no faults`);
      const end = Date.now() + options.soakMs;
      while (Date.now() < end) await sleep(Math.min(10_000, end - Date.now()));
    } else {
      faults = await injectAll(h, options);
    }
    const memory = memoryReport(h, warmUpUntil);
    const drain = await h.drain(options.drainTimeoutMs);
    options.log(
      drain.seconds === undefined
        ? `drain: NOT complete within ${options.drainTimeoutMs / 1000} s (missing ${JSON.stringify(drain.missing)})`
        : `drained in ${round(drain.seconds)} s; checking every stage by event id`,
    );
    const checks = await finalChecks(h);
    const { ledger } = h.traffic;
    const s = checks.stages;
    // The two live streams count as one stage: an event missing from either is lost to a SIEM.
    const lostStream = new Set(
      [...ledger.acked.keys()].filter((id) => !h.subscriber.seen.has(id) || !h.webhook.seen.has(id)),
    );
    const dupStream = new Set<string>();
    for (const seen of [h.subscriber.seen, h.webhook.seen])
      for (const [id, n] of seen.entries()) if (n > 1) dupStream.add(id);
    // Per fault: the events acknowledged in its window that were lost or doubled, and the
    // first topic or stage a doubled one was doubled at.
    const perFault = faults.map((f) => ({ ...f }));
    const counts = Object.values(checks.counts);
    const order: [string, Tally][] = [
      ['raw', checks.upstream.raw],
      ['sanitized', checks.upstream.sanitized],
      ...Object.entries(checks.counts),
    ];
    for (const [id, ack] of ledger.acked) {
      const lost = counts.some((c) => !c.has(id));
      const doubled = counts.some((c) => (c.get(id) ?? 0) > 1);
      if (!lost && !doubled) continue;
      const f = perFault[attribute(perFault, ack.at)];
      if (!f) continue;
      if (lost) f.lost++;
      if (doubled) {
        f.duplicated++;
        const from = order.find(([, c]) => (c.get(id) ?? 0) > 1)?.[0] ?? '?';
        f.doubled_from[from] = (f.doubled_from[from] ?? 0) + 1;
        if (f.duplicated <= DOUBLED_IDS_LOGGED) options.log(`fault ${f.name}: ${id} doubled at ${from}`);
      }
    }
    let duplicatedRaw = 0;
    for (const n of checks.upstream.raw.values()) if (n > 1) duplicatedRaw++;
    // A spool may only be full while Kafka is away (and for the replay after it): a minute's grace.
    const kafkaAway = perFault
      .filter((f) => f.name === 'stop-kafka')
      .map((f) => [f.start, f.until + 60_000] as const);
    const small = h.traffic.smallSpoolProducerId
      ? {
          acknowledged: [...ledger.acked.values()].filter((a) => a.via === 'sdk-small-spool').length,
          refused: ledger.refused['sdk-small-spool: SpoolFullError'] ?? 0,
          refused_while_kafka_up: ledger.spoolFullAt.filter(
            (t) => !kafkaAway.some(([a, b]) => t >= a && t <= b),
          ).length,
        }
      : undefined;
    const recoveries = perFault
      .filter((f) => f.name !== 'baseline')
      .map((f) => f.recovery_s ?? options.recoveryTimeoutMs / 1000);
    const unrecovered = perFault.filter((f) => f.recovery_s === null).map((f) => f.name);
    const sorted = [...recoveries].sort((a, b) => a - b);
    const result = {
      mode: options.soakMs > 0 ? 'soak' : 'chaos',
      date: new Date(started).toISOString(),
      machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      load_before: round(loadBefore, 2),
      load_after: round(loadavg()[0] as number, 2),
      quick: options.quick,
      deployment: options.deployment ?? 'split',
      rate: options.rate,
      servers_dedicated: options.dedicated,
      faults: perFault.filter((f) => f.name !== 'baseline').length,
      events_acknowledged: ledger.acked.size,
      events_in_doubt: ledger.inDoubt.size,
      events_refused: ledger.refused,
      in_doubt_delivered: s.clean.inDoubtDelivered,
      lost_clean: s.clean.lost,
      lost_index: s.index.lost,
      lost_archive: s.archive.lost,
      lost_stream: lostStream.size,
      lost_sse: s.sse.lost,
      lost_webhook: s.webhook.lost,
      duplicated_clean: s.clean.duplicated,
      duplicated_index: s.index.duplicated,
      duplicated_archive: s.archive.duplicated,
      duplicated_stream: dupStream.size,
      duplicated_sse: s.sse.duplicated,
      duplicated_webhook: s.webhook.duplicated,
      webhook_redelivered: checks.webhookRedelivered,
      // Diagnostic: the SDK's delivery to Kafka is at least once (deduplicable by producer id and sequence).
      raw_topic_duplicates: duplicatedRaw,
      unexpected: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.unexpected])),
      examples: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.examples])),
      dead_lettered: checks.deadLettered,
      secrets_found: checks.secretsFound,
      verify_ok: checks.verify.ok,
      reconcile_gaps: checks.reconcile.gaps,
      reconcile_counts: checks.reconcile.counts,
      reconcile_gap_examples: checks.reconcile.details,
      recovery_p50_s: sorted.length ? percentile(sorted, 50) : null,
      recovery_p99_s: sorted.length ? percentile(sorted, 99) : null,
      unrecovered_faults: unrecovered,
      baseline_catch_up_s: perFault.find((f) => f.name === 'baseline')?.recovery_s ?? null,
      small_spool: small,
      sse: {
        connects: h.subscriber.connects,
        overflows: h.subscriber.overflows,
        failed_connects: h.subscriber.failures,
      },
      gateway_answers: h.traffic.gatewayAnswers,
      unplanned_exits: h.unplannedExits.length,
      ...memory,
      drain_s: drain.seconds === undefined ? null : round(drain.seconds),
      checks_s: round(checks.seconds),
      duration_s: round((Date.now() - started) / 1000, 0),
      verify_output: checks.verify.ok ? undefined : checks.verify.output,
      reconcile_output: checks.reconcile.output || undefined,
      work_dir: options.keepWorkDir ? options.workDir : undefined,
      log_dir: options.keepWorkDir ? join(options.workDir, 'logs') : undefined,
    };
    const problems: string[] = [];
    for (const key of Object.keys(result) as (keyof typeof result)[]) {
      if (/^(lost|duplicated)_/.test(key) && (result[key] as number) > 0)
        problems.push(`${key} = ${result[key]}`);
    }
    for (const [stage, n] of Object.entries(result.unexpected))
      if (n > 0) problems.push(`${n} unexpected events in ${stage}`);
    for (const [where, n] of Object.entries(result.secrets_found))
      problems.push(`${n} secret fragments in ${where}`);
    for (const [why, n] of Object.entries(result.dead_lettered))
      problems.push(`${n} of our events dead-lettered (${why})`);
    if (small && small.refused_while_kafka_up > 0)
      problems.push(
        `SDK with a ${options.smallSpool?.maxBytes} B spool threw SpoolFullError ${small.refused_while_kafka_up} times while Kafka was up`,
      );
    if (!result.verify_ok) problems.push('auditflow verify failed');
    if (result.reconcile_gaps !== 0) problems.push(`reconcile: ${result.reconcile_gaps} gaps`);
    if (drain.seconds === undefined) problems.push('the pipeline did not drain');
    for (const name of unrecovered) problems.push(`${name}: did not catch up`);
    return {
      ...result,
      ok: problems.length === 0,
      problems,
      fault_results: perFault.map(({ start, until, ...f }) => f),
    };
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await h.shutdown({ keepWorkDir: options.keepWorkDir });
  }
}
