import type { ChaosResult, FaultResult } from './run.ts';

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const n = (v: unknown): string => (v === null || v === undefined ? '-' : String(v));

/** The human summary of a run: per fault, per stage, the checks, memory, and the verdict. */
export function formatReport(r: ChaosResult): string {
  const out: string[] = [];
  const title = `chaos ${r.mode} — ${r.machine}, ${r.rate} events/s${r.quick ? ', --quick' : ''}, ${r.deployment} processors, load ${r.load_before} -> ${r.load_after}, ${r.duration_s} s`;
  out.push(title, '='.repeat(title.length));
  const faults = r.fault_results as FaultResult[];
  if (faults.length > 0) {
    out.push(
      '',
      table([
        ['fault', 'caught up (s)', 'lost', 'doubled', 'unplanned exits', 'notes'],
        ...faults.map((f) => [
          f.name,
          f.recovery_s === null ? 'NO' : String(f.recovery_s),
          String(f.lost),
          f.duplicated === 0
            ? '0'
            : `${f.duplicated} (${Object.entries(f.doubled_from)
                .map(([k, v]) => `${v} from ${k}`)
                .join(', ')})`,
          f.unplanned_exits.join(', ') || '-',
          f.notes.join('; '),
        ]),
      ]),
    );
  }
  const stage = (name: string, lost: unknown, dup: unknown) => [
    name,
    n(lost),
    n(dup),
    n((r.unexpected as Record<string, number>)[name]),
  ];
  out.push(
    '',
    `events acknowledged ${r.events_acknowledged}, in doubt ${r.events_in_doubt} (delivered ${r.in_doubt_delivered}), refused ${JSON.stringify(r.events_refused)}`,
    '',
    table([
      ['stage', 'lost', 'duplicated', 'unexpected'],
      stage('clean', r.lost_clean, r.duplicated_clean),
      stage('index', r.lost_index, r.duplicated_index),
      stage('archive', r.lost_archive, r.duplicated_archive),
      stage('sse', r.lost_sse, r.duplicated_sse),
      stage('webhook', r.lost_webhook, r.duplicated_webhook),
    ]),
    `webhook batches redelivered (at least once, dropped by nonce): ${r.webhook_redelivered} events`,
    `verify: ${r.verify_ok ? 'ok' : 'FAILED'}; reconcile gaps: ${n(r.reconcile_gaps)}; secrets found: ${JSON.stringify(r.secrets_found)}; dead-lettered: ${JSON.stringify(r.dead_lettered)}`,
    `recovery p50 ${n(r.recovery_p50_s)} s, p99 ${n(r.recovery_p99_s)} s (baseline catch-up ${n(r.baseline_catch_up_s)} s); drain ${n(r.drain_s)} s`,
  );
  if (r.small_spool) out.push(`SDK with a small spool: ${JSON.stringify(r.small_spool)}`);
  const memory = r.memory_mb as Record<string, Record<string, number | null>>;
  out.push(
    '',
    table([
      [
        'service',
        'RSS MiB start -> end (peak)',
        'growth',
        'heap MiB start -> end',
        'external MiB start -> end',
        'restarts',
      ],
      ...Object.entries(memory).map(([name, m]) => [
        name,
        `${m.rss_start} -> ${m.rss_end} (${m.rss_peak})`,
        `${n((r.rss_growth_pct as Record<string, number | null>)[name])} %`,
        `${n(m.heap_start)} -> ${n(m.heap_end)}`,
        `${n(m.external_start)} -> ${n(m.external_end)}`,
        n((r.restarts as Record<string, number>)[name]),
      ]),
    ]),
  );
  out.push('', r.ok ? 'verdict: OK' : `verdict: PROBLEMS\n  ${r.problems.join('\n  ')}`);
  return `${out.join('\n')}\n`;
}
