import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Indexer } from '@auditflow/indexer';
import { createAuditProducer } from '@auditflow/producer';
import { type AuditEventInput, auditEventType, toAuditEvent } from '@auditflow/schemas';
import { groupCpuSeconds, resolvePaths, stackStatus } from '@auditflow/stack';
import { Client } from '@elastic/elasticsearch';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { Deployment } from '../../infra/cli/src/pipeline.ts';
import { benchEvent, sampleEvent } from '../support/events.ts';
import { createPipelineTopics, type PipelineTopics } from '../support/pipeline-topics.ts';
import { secretEvents } from '../support/secret-corpus.ts';
import { cpuSecondsOf, rssOf } from './rss.ts';
import { percentile, printTable } from './stats.ts';

export interface PipelineBenchResult {
  /** The better of the two deployments (`auditflow up` runs the fused one). */
  pipeline_events_per_s: number;
  pipeline_split_events_per_s: number;
  pipeline_fused_events_per_s: number;
  pipeline_events: number;
  /** Seconds from the first emit() until the SDK had every event acknowledged on the raw topic. */
  pipeline_sdk_delivered_s: number;
  pipeline_fused_sdk_delivered_s: number;
  pipeline_seconds: number;
  pipeline_fused_seconds: number;
  pipeline_record_bytes: number;
  pipeline_sanitizer_rss_mb: number;
  pipeline_enricher_rss_mb: number;
  pipeline_fused_rss_mb: number;
  pipeline_indexer_rss_mb: number;
  /** CPU µs per event of the processor stages together (sanitizer + enricher, or fused). */
  pipeline_split_processors_cpu_us: number;
  pipeline_fused_processors_cpu_us: number;
  /** The same at a steady 500 events/s (many small transactions rather than few large ones). */
  pipeline_split_processors_steady_cpu_us: number;
  pipeline_fused_processors_steady_cpu_us: number;
  /** emit() -> searchable through every stage; the top-level figure is the fused deployment's. */
  searchable_all_stages_p50_ms: number;
  searchable_all_stages_p99_ms: number;
  pipeline_split_searchable_p99_ms: number;
  /**
   * CPU µs per event of everything the measured window ran: the stages, the bench process (the
   * SDK emitting, the clean-topic counter) and the Kafka, Elasticsearch and registry servers.
   */
  pipeline_fused_all_cpu_us: number;
  pipeline_split_all_cpu_us: number;
  /** What this machine's cores could move at that CPU per event, were nothing else running. */
  pipeline_fused_cpu_bound_events_per_s: number;
}

const SERVERS_MEASURED = ['kafka', 'elasticsearch', 'registry'] as const;

/** The local stack's servers that run in the measured path, by name, with their pids. */
async function measuredServers(): Promise<[string, number][]> {
  const status = await stackStatus(resolvePaths());
  return status
    .filter((s) => (SERVERS_MEASURED as readonly string[]).includes(s.name) && s.pid !== undefined)
    .map((s) => [s.name, s.pid as number]);
}

/** CPU seconds so far of the servers and of this process (the SDK and the counter). */
function otherCpu(servers: readonly [string, number][]): Map<string, number> {
  const { user, system } = process.cpuUsage();
  return new Map([
    ['bench (SDK)', (user + system) / 1e6],
    ...servers.map(([name, pgid]) => [name, groupCpuSeconds(pgid) ?? 0] as [string, number]),
  ]);
}

/** CPU seconds used so far by each stage's process. */
function cpuOf(stages: readonly [string, ChildProcess][]): Map<string, number> {
  return new Map(stages.map(([name, child]) => [name, cpuSecondsOf(child.pid as number)]));
}

/** Each stage's CPU time since `before`, in µs per event of `events`. */
function cpuUsPerEventSince(
  stages: readonly [string, ChildProcess][],
  before: ReadonlyMap<string, number>,
  events: number,
): Record<string, number> {
  const now = cpuOf(stages);
  return Object.fromEntries(
    stages.map(([name]) => [
      name,
      Math.round((((now.get(name) ?? 0) - (before.get(name) ?? 0)) * 1e6) / events),
    ]),
  );
}

/** The processor stages' CPU per event together: sanitizer + enricher, or every fused instance. */
function processorsUs(perStage: Record<string, number>): number {
  return Object.entries(perStage)
    .filter(([name]) => name === 'sanitizer' || name === 'enricher' || name.startsWith('fused'))
    .reduce((sum, [, us]) => sum + us, 0);
}

interface DeploymentRun {
  eventsPerS: number;
  sdkDeliveredS: number;
  seconds: number;
  /** Peak RSS per child, MiB. */
  rss: Record<string, number>;
  /** CPU time per event of each child over the measured window, µs (robust to a busy machine). */
  cpuUsPerEvent: Record<string, number>;
  /** emit() -> searchable in Elasticsearch through every stage, at a steady 500 events/s. */
  searchableP50Ms: number;
  searchableP99Ms: number;
  /** CPU time per event of each child at a steady 500 events/s (the latency phase), µs. */
  steadyCpuUsPerEvent: Record<string, number>;
  /** The same window's CPU per event of the bench process and the servers, µs. */
  otherCpuUsPerEvent: Record<string, number>;
}

/** Waits until the index holds `n` documents (at most 5 minutes). */
async function indexedAll(elasticsearchUrl: string, indexPrefix: string, n: number): Promise<void> {
  const es = new Client({ node: elasticsearchUrl });
  try {
    const deadline = Date.now() + 300_000;
    for (;;) {
      await es.indices.refresh({ index: `${indexPrefix}*` }).catch(() => {});
      const { count } = await es.count({ index: `${indexPrefix}*` }).catch(() => ({ count: 0 }));
      if (count >= n) return;
      if (Date.now() > deadline) throw new Error(`pipeline bench: only ${count} of ${n} events indexed`);
      await sleep(250);
    }
  } finally {
    await es.close();
  }
}

const PROBE_EVERY_MS = 100;
const EVENTS_PER_PROBE = 50;

/**
 * emit() -> searchable as users see it, through the processors and the indexer (the indexer
 * suite's figure skips the processors): a probe with its own correlation id every 100 ms among
 * steady traffic of 500 events/s, for 10 s (--quick) or 30 s, each timed until a search finds it.
 */
async function searchableLatency(
  producer: ReturnType<typeof createAuditProducer>,
  options: { elasticsearchUrl: string; quick: boolean },
  indexPrefix: string,
): Promise<{ latencies: number[]; emitted: number }> {
  const es = new Client({ node: options.elasticsearchUrl });
  let emitted = 0;
  const probes = new Map<string, number>();
  const latencies: number[] = [];
  const until = Date.now() + (options.quick ? 10_000 : 30_000);
  const run = Date.now().toString(36);
  try {
    const poller = (async () => {
      while (Date.now() < until + 30_000 && (Date.now() < until || probes.size > 0)) {
        if (probes.size > 0) {
          const found = await es
            .search<{ audit: { correlation_id: string } }>({
              index: `${indexPrefix}*`,
              size: 100,
              query: { terms: { 'audit.correlation_id': [...probes.keys()] } },
              _source: ['audit.correlation_id'],
            })
            .catch(() => undefined); // the index may not exist for the first probe yet
          for (const hit of found?.hits.hits ?? []) {
            const id = hit._source?.audit.correlation_id as string;
            const sent = probes.get(id);
            if (sent !== undefined) {
              latencies.push(Date.now() - sent);
              probes.delete(id);
            }
          }
        }
        await sleep(25);
      }
    })();
    for (let k = 0; Date.now() < until; k++) {
      for (let i = 0; i < EVENTS_PER_PROBE; i++) producer.emit(benchEvent(k * EVENTS_PER_PROBE + i));
      emitted += EVENTS_PER_PROBE + 1;
      const id = `probe-${run}-${k}`;
      producer.emit(sampleEvent(k, { correlation_id: id }));
      probes.set(id, Date.now());
      await sleep(PROBE_EVERY_MS);
    }
    await poller;
    if (probes.size > 0) throw new Error(`pipeline bench: ${probes.size} probes never became searchable`);
  } finally {
    await es.close();
  }
  return { latencies: latencies.sort((a, b) => a - b), emitted };
}

const THIS_FILE = fileURLToPath(import.meta.url);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const INDEXER_CHILD = '--indexer-child';
const QUICK_EVENTS = 30_000;
/** Instances of the fused stage (`AUDITFLOW_BENCH_FUSED_INSTANCES`, default 1; 6 partitions). */
const FUSED_INSTANCES = Math.min(
  6,
  Math.max(1, Number(process.env.AUDITFLOW_BENCH_FUSED_INSTANCES ?? 1) || 1),
);
const FULL_EVENTS = 150_000;

/** ~1 KB events; one in eight carries planted secrets, so the sanitizer does real work. */
export function pipelineInputs(): AuditEventInput[] {
  const secrets = secretEvents();
  return Array.from({ length: 1000 }, (_, i) =>
    i % 8 === 0 ? (secrets[i % secrets.length] as AuditEventInput) : benchEvent(i),
  );
}

/**
 * Mean size of these events as Kafka record values: Avro plus the 5-byte Confluent framing
 * (magic byte, schema id). The perf-test baseline sends records of this size.
 */
export function recordBytes(inputs: readonly AuditEventInput[]): number {
  let total = 0;
  inputs.forEach((input, i) => {
    const event = toAuditEvent(input, {
      id: `01a20ce8-9421-762f-8562-${String(i).padStart(12, '0')}`,
      occurredAt: Date.now(),
      producerId: 'bench',
      sequence: i + 1,
    });
    total += auditEventType.toBuffer(event).length + 5;
  });
  return Math.round(total / inputs.length);
}

/** Spawns a child and resolves once it prints "started" (rejects if it exits first). */
async function startChild(what: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=auditflow-source', ...args], {
    cwd: REPO,
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolveStarted, reject) => {
    const early = (code: number | null) =>
      reject(new Error(`bench ${what} exited with ${code} before starting`));
    child.once('exit', early);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('started')) {
        child.off('exit', early);
        resolveStarted();
      }
    });
  });
  return child;
}

/** A processor stage in its own process (one core each, as `auditflow up` runs them). */
function startStage(
  stage: 'sanitizer' | 'enricher' | 'fused',
  topics: PipelineTopics,
  instance = 1,
): Promise<ChildProcess> {
  return startChild(stage, [
    'test/support/processor-child.ts',
    stage,
    JSON.stringify(topics),
    `bench-${stage}-${instance}`,
  ]);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
}

/**
 * Both deployments, one after the other on fresh topics: split (two processes, the sanitized
 * topic between them) and fused (one process, one transaction per batch, raw -> clean).
 */
export async function benchPipeline(options: {
  brokers: string;
  registryUrl: string;
  elasticsearchUrl: string;
  quick: boolean;
}): Promise<PipelineBenchResult> {
  const split = await runDeployment('split', options);
  const fused = await runDeployment('fused', options);
  return {
    pipeline_events_per_s: Math.max(split.eventsPerS, fused.eventsPerS),
    pipeline_split_events_per_s: split.eventsPerS,
    pipeline_fused_events_per_s: fused.eventsPerS,
    pipeline_events: options.quick ? QUICK_EVENTS : FULL_EVENTS,
    pipeline_sdk_delivered_s: split.sdkDeliveredS,
    pipeline_fused_sdk_delivered_s: fused.sdkDeliveredS,
    pipeline_seconds: split.seconds,
    pipeline_fused_seconds: fused.seconds,
    pipeline_record_bytes: recordBytes(pipelineInputs()),
    pipeline_sanitizer_rss_mb: split.rss.sanitizer ?? 0,
    pipeline_enricher_rss_mb: split.rss.enricher ?? 0,
    pipeline_fused_rss_mb: fused.rss.fused ?? 0,
    pipeline_indexer_rss_mb: Math.max(split.rss.indexer ?? 0, fused.rss.indexer ?? 0),
    pipeline_split_processors_cpu_us: processorsUs(split.cpuUsPerEvent),
    pipeline_fused_processors_cpu_us: processorsUs(fused.cpuUsPerEvent),
    pipeline_split_processors_steady_cpu_us: processorsUs(split.steadyCpuUsPerEvent),
    pipeline_fused_processors_steady_cpu_us: processorsUs(fused.steadyCpuUsPerEvent),
    searchable_all_stages_p50_ms: fused.searchableP50Ms,
    searchable_all_stages_p99_ms: fused.searchableP99Ms,
    pipeline_split_searchable_p99_ms: split.searchableP99Ms,
    pipeline_fused_all_cpu_us: allCpuUs(fused),
    pipeline_split_all_cpu_us: allCpuUs(split),
    pipeline_fused_cpu_bound_events_per_s: Math.round((cpus().length * 1e6) / allCpuUs(fused)),
  };
}

/** Every measured process's CPU per event together: stages, bench process, servers. */
const allCpuUs = (run: DeploymentRun): number =>
  [...Object.values(run.cpuUsPerEvent), ...Object.values(run.otherCpuUsPerEvent)].reduce((a, b) => a + b, 0);

/**
 * End-to-end throughput SDK -> raw -> processors -> clean, each processor stage in its own
 * process and the indexer (a consumer of the clean topic) running in another, as SPEC O asks ("with the consumers running"): on a small machine they compete for the
 * same cores, and that cost belongs in the number. A read_committed consumer counts what lands on
 * the clean topic (records, not offsets: transaction markers take offsets too). The rate is
 * events over the time from the first emit() to the last event on the clean topic.
 */
async function runDeployment(
  deployment: Deployment,
  options: { brokers: string; registryUrl: string; elasticsearchUrl: string; quick: boolean },
): Promise<DeploymentRun> {
  const count = options.quick ? QUICK_EVENTS : FULL_EVENTS;
  const inputs = pipelineInputs();
  const topics = await createPipelineTopics('bench.pipe', 6);
  const indexPrefix = `audit-events-bench-pipe-${Date.now().toString(36)}`;
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: options.brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const counter = kafka.consumer({ groupId: `${topics.clean}.counter`, readUncommitted: false });
  const spool = mkdtempSync(join(tmpdir(), 'bench-pipe-'));
  const producer = createAuditProducer(
    {
      brokers: options.brokers.split(','),
      schemaRegistryUrl: options.registryUrl,
      topic: topics.raw,
      spool: { dir: spool, maxBytes: 2 ** 30 },
    },
    { logger: pino({ level: 'silent' }) },
  );
  const children: ChildProcess[] = [];
  try {
    const stages: [string, ChildProcess][] = [];
    for (const stage of deployment === 'split'
      ? (['sanitizer', 'enricher'] as const)
      : (['fused'] as const)) {
      const child = await startStage(stage, topics);
      children.push(child);
      stages.push([stage, child]);
      // More instances of the fused stage in the same group (they share the partitions).
      for (let n = 2; stage === 'fused' && n <= FUSED_INSTANCES; n++) {
        const more = await startStage(stage, topics, n);
        children.push(more);
        stages.push([`fused${n}`, more]);
      }
    }
    const indexer = await startChild('indexer', [
      THIS_FILE,
      INDEXER_CHILD,
      JSON.stringify({ topics, indexPrefix, elasticsearchUrl: options.elasticsearchUrl }),
    ]);
    children.push(indexer);
    stages.push(['indexer', indexer]);

    let landed = 0;
    await counter.connect();
    await counter.subscribe({ topic: topics.clean, fromBeginning: true });
    await counter.run({
      eachBatch: async ({ batch }) => {
        landed += batch.messages.length;
      },
    });

    // One event through every stage first: groups joined, schemas registered, producers connected.
    producer.emit(inputs[1] as AuditEventInput);
    const warmDeadline = Date.now() + 120_000;
    while (landed < 1) {
      if (Date.now() > warmDeadline)
        throw new Error('pipeline bench: the warm-up event never reached the clean topic');
      await sleep(50);
    }

    const servers = await measuredServers();
    const otherAtStart = otherCpu(servers);
    const cpuAtStart = cpuOf(stages);
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      producer.emit(inputs[i % inputs.length] as AuditEventInput);
      if (i % 500 === 499) await yieldToLoop();
    }
    let deliveredAt = Number.NaN;
    void producer.flush(600_000).then(
      () => {
        deliveredAt = performance.now();
      },
      () => {},
    );
    const deadline = Date.now() + (options.quick ? 240_000 : 900_000);
    const peak: Record<string, number> = {};
    while (landed < count + 1) {
      if (Date.now() > deadline)
        throw new Error(`pipeline bench: only ${landed - 1} of ${count} events reached the clean topic`);
      for (const [name, child] of stages) {
        if (child.exitCode !== null)
          throw new Error(`pipeline bench: the ${name} exited (${child.exitCode})`);
        peak[name] = Math.max(peak[name] ?? 0, rssOf(child.pid) ?? 0);
      }
      await sleep(50);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpuUsPerEvent = cpuUsPerEventSince(stages, cpuAtStart, count);
    const otherCpuUsPerEvent = Object.fromEntries(
      [...otherCpu(servers)].map(([name, cpu]) => [
        name,
        Math.round(((cpu - (otherAtStart.get(name) ?? cpu)) * 1e6) / count),
      ]),
    );
    const rss = Object.fromEntries(
      Object.entries(peak).map(([name, bytes]) => [name, Math.round(bytes / 2 ** 20)]),
    );
    // Probes timed behind the indexer's backlog would measure the backlog: let it drain first.
    await indexedAll(options.elasticsearchUrl, indexPrefix, count + 1);
    const cpuAtSteady = cpuOf(stages);
    const { latencies: searchable, emitted } = await searchableLatency(producer, options, indexPrefix);
    const steadyCpuUsPerEvent = cpuUsPerEventSince(stages, cpuAtSteady, emitted);
    const run: DeploymentRun = {
      eventsPerS: count / seconds,
      sdkDeliveredS: (deliveredAt - started) / 1000,
      seconds,
      rss,
      cpuUsPerEvent,
      searchableP50Ms: percentile(searchable, 50),
      searchableP99Ms: percentile(searchable, 99),
      steadyCpuUsPerEvent,
      otherCpuUsPerEvent,
    };
    const path = deployment === 'split' ? 'sanitizer -> enricher' : 'fused sanitizer+enricher';
    printTable(
      `pipeline, ${deployment} — ${count.toLocaleString('en')} events SDK -> ${path} -> clean topic (indexer consuming)`,
      [
        [
          'end-to-end events/s (6 partitions, one instance each)',
          `${Math.round(run.eventsPerS).toLocaleString('en')} /s (${seconds.toFixed(1)} s)`,
        ],
        ['SDK had every event on the raw topic after', `${run.sdkDeliveredS.toFixed(1)} s`],
        [
          `CPU per event ${Object.keys(cpuUsPerEvent).join(' / ')}`,
          `${Object.values(cpuUsPerEvent).join(' / ')} µs`,
        ],
        [
          `CPU per event ${Object.keys(otherCpuUsPerEvent).join(' / ')}`,
          `${Object.values(otherCpuUsPerEvent).join(' / ')} µs`,
        ],
        [`peak RSS ${Object.keys(rss).join(' / ')}`, `${Object.values(rss).join(' / ')} MiB`],
        [
          `CPU per event at 500 events/s ${Object.keys(steadyCpuUsPerEvent).join(' / ')}`,
          `${Object.values(steadyCpuUsPerEvent).join(' / ')} µs`,
        ],
        [
          `emit -> searchable through every stage, p50 / p99 (${searchable.length} probes)`,
          `${run.searchableP50Ms} ms / ${run.searchableP99Ms} ms`,
        ],
      ],
    );
    return run;
  } finally {
    await producer.close().catch(() => {});
    await counter.disconnect().catch(() => {});
    for (const child of children) await stop(child);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
    await admin.disconnect();
    const es = new Client({ node: options.elasticsearchUrl });
    // The indexer picks a data stream (with an ILM policy) or daily indices: remove either.
    await es.indices.deleteDataStream({ name: `${indexPrefix}*` }).catch(() => {});
    await es.indices.delete({ index: `${indexPrefix}*`, ignore_unavailable: true }).catch(() => {});
    await es.indices.deleteIndexTemplate({ name: indexPrefix }).catch(() => {});
    await es.ilm.deleteLifecycle({ name: `${indexPrefix}-policy` }).catch(() => {});
    await es.close();
    rmSync(spool, { recursive: true, force: true });
  }
}

/**
 * Child mode: the indexer consuming the bench's clean topic into throw-away indices, in its own
 * process like the real service. `tsx pipeline.ts --indexer-child <JSON>`; prints "started".
 */
async function indexerChild(json: string): Promise<void> {
  const { topics, indexPrefix, elasticsearchUrl } = JSON.parse(json) as {
    topics: PipelineTopics;
    indexPrefix: string;
    elasticsearchUrl: string;
  };
  const es = new Client({ node: elasticsearchUrl });
  const indexer = new Indexer(
    {
      brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
      registryUrl: process.env.SCHEMA_REGISTRY_URL ?? '',
      groupId: `${topics.clean}.indexer`,
      topic: topics.clean,
      dlqTopic: topics.dlq,
      indexPrefix,
      searchRetentionDays: 30,
      replicas: 0,
      concurrency: 3,
    },
    es,
    { logger: pino({ level: process.env.AUDITFLOW_TEST_LOG ?? 'silent' }), registry: new Registry() },
  );
  await indexer.start();
  process.stdout.write('started\n');
  process.on('SIGTERM', () => {
    void indexer
      .stop()
      .then(() => es.close())
      .then(() => process.exit(0));
  });
}

if (resolve(process.argv[1] ?? '') === THIS_FILE && process.argv[2] === INDEXER_CHILD) {
  await indexerChild(process.argv[3] ?? '{}');
}
