/**
 * `pnpm bench [suite...] [--quick] [--json]`: measures our components and, in the same run on
 * the same machine, the baselines they are judged against. Suites (all when none is named):
 *
 *   emit        SDK emit() latency (Kafka up and down) vs a bare kafkajs producer
 *   perftest    Kafka's own kafka-producer-perf-test at our record size, acks=all (the ceiling)
 *   pipeline    SDK -> processors -> clean topic, split (sanitizer, enricher) and fused, in children
 *   processors  each stage alone on a filled topic vs a pass-through processor
 *   indexer     indexer docs/s vs a raw `_bulk` loader; emit -> searchable p99; query API p99
 *   streamer    emit -> subscriber p99 (test/bench/streamer.ts, when present)
 *   archiver    archive throughput (test/bench/archiver.ts, when present; needs S3)
 *   clients     kafkajs vs @platformatic/kafka: produce, consume, the processors' transactional
 *               loop (test/bench/kafka-clients.ts; only when named)
 *
 * Ends with a goals-vs-measured table and the RSS of every server and service it saw. With
 * `--json` the last stdout line is one JSON object holding at least the SPEC's keys (null when the
 * suite that measures one did not run or failed). Exit status 1 when any suite failed. Uses the
 * stack named by `stack env` variables, or starts the local one. `--quick` fits in 10 minutes on
 * 2 cores.
 */
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { resolvePaths, stackEnv, stackUp } from '@auditflow/stack';
import { benchEmit } from './emit.ts';
import { benchIndexer } from './indexer.ts';
import { benchKafkaPerfTest } from './perftest.ts';
import { benchPipeline, pipelineInputs, recordBytes } from './pipeline.ts';
import { benchProcessors } from './processors.ts';
import { collectRss } from './rss.ts';

type Result = Record<string, number | string | null>;
interface SuiteOptions {
  brokers: string;
  registryUrl: string;
  quick: boolean;
}
type OptionalSuite = (options: SuiteOptions) => Promise<Record<string, number>>;

const KNOWN = [
  'emit',
  'perftest',
  'pipeline',
  'processors',
  'indexer',
  'streamer',
  'archiver',
  'clients',
] as const;
type Suite = (typeof KNOWN)[number];
/** Suites left out of the all-suites run: they run only when named. */
const ON_REQUEST: readonly Suite[] = ['clients'];

/** Suites other people write: loaded only when their file exists next to this one. */
const OPTIONAL: Partial<Record<Suite, { file: string; exportName: string }>> = {
  streamer: { file: './streamer.ts', exportName: 'benchStreamer' },
  archiver: { file: './archiver.ts', exportName: 'benchArchiver' },
  clients: { file: './kafka-clients.ts', exportName: 'benchKafkaClients' },
};

/** The SPEC's keys, always present on the JSON line. */
const SPEC_KEYS = [
  'emit_p99_us',
  'pipeline_events_per_s',
  'kafka_perftest_events_per_s',
  'pipeline_ratio',
  'indexer_docs_per_s',
  'raw_bulk_docs_per_s',
  'indexer_ratio',
  'searchable_p99_ms',
  'subscriber_p99_ms',
] as const;

/** Issue 8's goals: [key, comparison, target, unit]. */
const GOALS: [string, '<=' | '>=', number, string][] = [
  ['emit_p99_us', '<=', 100, 'µs'],
  ['pipeline_ratio', '>=', 0.25, ''],
  ['searchable_all_stages_p99_ms', '<=', 1500, 'ms'],
  ['indexer_ratio', '>=', 0.8, ''],
  ['searchable_p99_ms', '<=', 2000, 'ms'],
  ['subscriber_p99_ms', '<=', 500, 'ms'],
];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const named = args.filter((a) => !a.startsWith('--'));
for (const suite of named) {
  if (!(KNOWN as readonly string[]).includes(suite)) {
    process.stderr.write(`unknown benchmark '${suite}'; choose from: ${KNOWN.join(', ')}\n`);
    process.exit(2);
  }
}
const suites = KNOWN.filter((s) => (named.length === 0 ? !ON_REQUEST.includes(s) : named.includes(s)));

function optionalSuitePath(suite: Suite): string | undefined {
  const spec = OPTIONAL[suite];
  if (!spec) return undefined;
  const path = fileURLToPath(new URL(spec.file, import.meta.url));
  return existsSync(path) ? path : undefined;
}

type Env = { KAFKA_BROKERS: string; SCHEMA_REGISTRY_URL: string; ELASTICSEARCH_URL: string };
const fromEnv = process.env as Partial<Env>;
let env: Env;
if (fromEnv.KAFKA_BROKERS && fromEnv.SCHEMA_REGISTRY_URL && fromEnv.ELASTICSEARCH_URL) {
  env = fromEnv as Env;
} else {
  const needsS3 = suites.includes('archiver') && optionalSuitePath('archiver') !== undefined;
  await stackUp(resolvePaths(), {
    servers: ['kafka', 'registry', 'elasticsearch', ...(needsS3 ? ['s3'] : [])],
    report: (l) => process.stderr.write(`${l}\n`),
  });
  const local = stackEnv(resolvePaths());
  // Child processes (pipeline stages) read their endpoints from the environment.
  Object.assign(process.env, local);
  env = local;
}

const results: Result = {
  date: new Date().toISOString(),
  machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  quick: quick ? 1 : 0,
};
const failed: string[] = [];
const common: SuiteOptions = { brokers: env.KAFKA_BROKERS, registryUrl: env.SCHEMA_REGISTRY_URL, quick };

async function runSuite(suite: Suite): Promise<Record<string, number> | undefined> {
  switch (suite) {
    case 'emit':
      return { ...(await benchEmit(common)) };
    case 'perftest':
      // The pipeline's own records: same size, so the ratio compares like with like.
      return { ...(await benchKafkaPerfTest({ ...common, recordBytes: recordBytes(pipelineInputs()) })) };
    case 'pipeline':
      return { ...(await benchPipeline({ ...common, elasticsearchUrl: env.ELASTICSEARCH_URL })) };
    case 'processors':
      return { ...(await benchProcessors(common)) };
    case 'indexer':
      return { ...(await benchIndexer({ ...common, elasticsearchUrl: env.ELASTICSEARCH_URL })) };
    case 'streamer':
    case 'archiver':
    case 'clients': {
      const path = optionalSuitePath(suite);
      const spec = OPTIONAL[suite];
      if (!path || !spec) {
        process.stdout.write(`\n${suite}: unavailable (test/bench/${suite}.ts is not in this tree yet)\n`);
        return undefined;
      }
      const mod = (await import(path)) as Record<string, unknown>;
      const fn = mod[spec.exportName];
      if (typeof fn !== 'function') throw new Error(`${path} does not export ${spec.exportName}()`);
      return (fn as OptionalSuite)(common);
    }
  }
}

for (const suite of suites) {
  const started = performance.now();
  try {
    const measured = await runSuite(suite);
    if (measured) {
      Object.assign(results, measured);
      results[`${suite}_suite_s`] = Math.round((performance.now() - started) / 100) / 10;
    }
  } catch (err) {
    failed.push(suite);
    process.stderr.write(`\n${suite}: FAILED: ${(err as Error).stack ?? String(err)}\n`);
  }
}

const num = (key: string): number | undefined => {
  const v = results[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};
const pipe = num('pipeline_events_per_s');
const perf = num('kafka_perftest_events_per_s');
if (pipe !== undefined && perf !== undefined) results.pipeline_ratio = pipe / perf;
for (const deployment of ['split', 'fused']) {
  const rate = num(`pipeline_${deployment}_events_per_s`);
  if (rate !== undefined && perf !== undefined) results[`pipeline_${deployment}_ratio`] = rate / perf;
}
Object.assign(results, await collectRss());
for (const key of SPEC_KEYS) if (!(key in results)) results[key] = null;

function show(v: number, unit: string): string {
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 1 ? 1 : 2;
  return `${v.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })}${unit ? ` ${unit}` : ''}`;
}

const title = `summary — ${results.machine}${quick ? ', --quick' : ''}`;
const rows: string[][] = [['goal', 'target', 'measured', '']];
for (const [key, cmp, target, unit] of GOALS) {
  const v = num(key);
  const met =
    v === undefined ? 'not measured' : (cmp === '<=' ? v <= target : v >= target) ? 'met' : 'MISSED';
  rows.push([key, `${cmp} ${show(target, unit)}`, v === undefined ? '-' : show(v, unit), met]);
}
for (const [key, label] of [
  ['pipeline_events_per_s', 'pipeline events/s (the better deployment)'],
  ['pipeline_split_events_per_s', 'pipeline events/s, split (sanitizer, enricher)'],
  ['pipeline_fused_events_per_s', 'pipeline events/s, fused (auditflow up default)'],
  ['kafka_perftest_events_per_s', 'kafka perf-test events/s'],
  ['indexer_docs_per_s', 'indexer docs/s'],
  ['raw_bulk_docs_per_s', 'raw _bulk docs/s'],
  ['archiver_events_per_s', 'archiver events/s (backlog)'],
] as const) {
  const v = num(key);
  rows.push([label, '', v === undefined ? '-' : show(v, '/s'), '']);
}
const rss = Object.keys(results)
  .filter((k) => /_rss_mb$|^rss_.*_mb$/.test(k) && num(k) !== undefined)
  .sort();
/** Where each RSS figure comes from: a suite's own child process, `auditflow up`, or a server. */
const rssLabel = (key: string): string => {
  if (key === 'rss_bench_mb') return 'RSS bench process (in-process suites)';
  const words = (k: string) => k.replaceAll('_', ' ');
  const up = /^rss_up_(.+)_mb$/.exec(key);
  if (up) return `RSS ${words(up[1] as string)} (running under auditflow up)`;
  const server = /^rss_(.+)_mb$/.exec(key);
  if (server) return `RSS ${words(server[1] as string)} (server)`;
  return `RSS ${words(key.replace(/_rss_mb$/, ''))} (bench child, peak)`;
};
for (const key of rss) rows.push([rssLabel(key), '', `${num(key)} MiB`, '']);
const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
process.stdout.write(`\n${title}\n${'='.repeat(title.length)}\n`);
for (const r of rows) {
  process.stdout.write(
    `${(r[0] ?? '').padEnd(widths[0] ?? 0)}  ${(r[1] ?? '').padEnd(widths[1] ?? 0)}  ${(r[2] ?? '').padStart(widths[2] ?? 0)}  ${r[3] ?? ''}`.trimEnd() +
      '\n',
  );
}
if (failed.length > 0) process.stdout.write(`\nfailed suites: ${failed.join(', ')} (see stderr)\n`);
if (json) process.stdout.write(`${JSON.stringify(results)}\n`);
process.exit(failed.length > 0 ? 1 : 0);
