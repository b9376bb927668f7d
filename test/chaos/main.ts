/**
 * `pnpm chaos [--quick] [--soak <duration>] [--json] [--faults a,b] [--rate N] [--keep] [--fused]`
 *
 * Starts its own Kafka, schema registry, Elasticsearch and MinIO (own ports and data: stopping
 * them disturbs nobody), every pipeline service as a process, steady traffic through the SDK and
 * the gateway with planted secrets, a resuming SSE subscriber and a webhook receiver; injects
 * the faults one after another while traffic flows, waiting after each until every stage has
 * caught up; then drains and checks every acknowledged event by id at every stage. `--soak`
 * runs steady traffic without faults and reports memory per service. `--fused` runs the processors
 * as `auditflow up` does (one fused service) instead of the split sanitizer and enricher. With `--json` the last
 * stdout line is one JSON object (SPEC Interfaces). Exit status 1 when anything was lost,
 * duplicated, leaked or left unrecovered.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { faultsFor, selectFaults } from './faults.ts';
import { formatReport } from './report.ts';
import { runChaos } from './run.ts';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

/** `90s`, `30m`, `1h` or plain seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`--soak takes a duration such as 90s, 30m or 1h (got '${text}')`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

if (flag('--help')) {
  process.stdout.write(
    `usage: pnpm chaos [--quick] [--soak <duration>] [--json] [--faults a,b,...] [--rate N] [--keep] [--fused]\nfaults: ${faultsFor(
      'split',
    )
      .map((f) => f.name)
      .join(
        ', ',
      )}\n--fused: the processors as \`auditflow up\` runs them (one fused service; faults kill-fused, zombie-fused instead of the sanitizer's and enricher's)\n`,
  );
  process.exit(0);
}

const quick = flag('--quick');
const deployment = flag('--fused') ? 'fused' : 'split';
const json = flag('--json');
const soak = value('--soak');
const log = (line: string) =>
  process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

const result = await runChaos({
  quick,
  rate: Number(value('--rate') ?? (quick ? 200 : 1000)),
  secretEvery: 25,
  dedicated: ['kafka', 'registry', 'elasticsearch', 's3'],
  serverPortBase: 29_000,
  servicePortOffset: 20_000,
  workDir: mkdtempSync(join(tmpdir(), 'auditflow-chaos-')),
  smallSpool: { rate: 20, maxBytes: 64 * 1024 },
  faults: selectFaults(value('--faults')?.split(','), deployment),
  deployment,
  plan: quick ? { serverDownS: 20, freezeS: 40, slowS: 40 } : { serverDownS: 45, freezeS: 45, slowS: 60 },
  soakMs: soak ? parseDuration(soak) : 0,
  recoveryTimeoutMs: quick ? 180_000 : 300_000,
  drainTimeoutMs: 300_000,
  keepWorkDir: flag('--keep'),
  log,
});

process.stdout.write(formatReport(result));
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(result.ok ? 0 : 1);
