import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ArchiveStore, s3Client, s3Settings } from '@auditflow/archive';
import { createTopicsReady } from '@auditflow/kafka';
import { createAuditProducer } from '@auditflow/producer';
import { resolvePaths, stackEnv } from '@auditflow/stack';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { benchEvent } from '../support/events.ts';
import { cpuSecondsOf, rssOf } from './rss.ts';
import { printTable } from './stats.ts';

export interface ArchiverBenchResult {
  /** Draining a backlog: how fast one archiver can go. */
  archiver_events_per_s: number;
  /** The steady rate it was fed in the second phase. */
  archiver_fed_events_per_s: number;
  /** Its CPU at that rate, in % of one core (goal ≤ 10). */
  archiver_cpu_pct: number;
  /** Seconds after the last event was emitted until every event was committed (≈ one roll age). */
  archiver_catch_up_s: number;
  archiver_rss_mb: number;
}

const CHILD = fileURLToPath(new URL('../support/archiver-child.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Emits `count` ~1 KB events, `perSecond` of them a second (all at once when undefined). */
async function emit(
  options: { brokers: string; registryUrl: string; topic: string },
  count: number,
  perSecond?: number,
): Promise<void> {
  const spool = mkdtempSync(join(tmpdir(), 'bench-archiver-spool-'));
  const producer = createAuditProducer(
    {
      brokers: options.brokers.split(','),
      schemaRegistryUrl: options.registryUrl,
      topic: options.topic,
      spool: { dir: spool },
    },
    { logger: pino({ level: 'silent' }) },
  );
  const started = performance.now();
  const tickMs = 50;
  for (let i = 0; i < count; i++) {
    producer.emit(benchEvent(i));
    if (perSecond !== undefined && (i + 1) % Math.max(1, (perSecond * tickMs) / 1000) === 0) {
      const due = started + ((i + 1) / perSecond) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
  }
  await producer.close(120_000);
  rmSync(spool, { recursive: true, force: true });
}

/** Resolves once the group has committed the end of every partition. */
async function committedAll(kafka: Kafka, topic: string, groupId: string, timeoutMs: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const at = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
      if (ends.every((p) => (at.get(p.partition) ?? -1) >= Number(p.high))) return;
      await sleep(200);
    }
    throw new Error(`archiver bench: group ${groupId} did not commit ${topic} to its end in time`);
  } finally {
    await admin.disconnect();
  }
}

function startChild(
  env: NodeJS.ProcessEnv,
  topics: { clean: string; dlq: string },
  prefix: string,
  groupId: string,
): Promise<ChildProcess> {
  // Production-like rolls (the local 30 s age; 64 MB), without Object Lock so the bench can clean up.
  const overrides = { roll: { maxAgeMs: 10_000, maxBytes: 64 * 1_048_576 }, lockMode: null };
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=auditflow-source',
      CHILD,
      JSON.stringify(topics),
      prefix,
      groupId,
      JSON.stringify(overrides),
    ],
    { cwd: REPO, env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`archiver bench: the archiver exited (${code})`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('started')) resolve(child);
    });
  });
}

/**
 * `pnpm bench archiver` (issue 6): one archiver in its own process, so its CPU and memory are
 * its own. Phase 1 drains a backlog (how fast it can go); phase 2 feeds it a steady rate (the
 * pipeline's, by default 2,000 events/s) and measures its CPU share at that rate.
 */
export async function benchArchiver(options: {
  brokers: string;
  registryUrl: string;
  quick: boolean;
  ratePerSecond?: number;
}): Promise<ArchiverBenchResult> {
  const env = { ...process.env, ...stackEnv(resolvePaths()) };
  const kafka = new Kafka({
    clientId: 'bench-archiver',
    brokers: options.brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const id = `bench-archiver-${Date.now()}`;
  const topics = { clean: `${id}.clean`, dlq: `${id}.dlq` };
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsReady(admin, [
    { topic: topics.clean, numPartitions: 6 },
    { topic: topics.dlq, numPartitions: 1 },
  ]);
  await admin.disconnect();
  const backlog = options.quick ? 30_000 : 150_000;
  const rate = options.ratePerSecond ?? 2000;
  const steadySeconds = options.quick ? 20 : 60;
  const target = { brokers: options.brokers, registryUrl: options.registryUrl, topic: topics.clean };

  await emit(target, backlog);
  const prefix = `${id}/`;
  const groupId = `${id}-group`;
  let child: ChildProcess | undefined;
  let peakRss = 0;
  const sampleRss = setInterval(() => {
    peakRss = Math.max(peakRss, rssOf(child?.pid) ?? 0);
  }, 250);
  try {
    const drainStart = performance.now();
    child = await startChild(env, topics, prefix, groupId);
    // The last roll closes by age: its wait is not throughput, so it is taken out below.
    await committedAll(kafka, topics.clean, groupId, 600_000);
    const drainS = (performance.now() - drainStart) / 1000 - 10;
    const drained = backlog / Math.max(drainS, 0.001);

    const pid = child.pid as number;
    const cpuBefore = cpuSecondsOf(pid);
    const steadyStart = performance.now();
    await emit(target, rate * steadySeconds, rate);
    const emittedAt = performance.now();
    const cpuS = cpuSecondsOf(pid) - cpuBefore;
    const fed = (rate * steadySeconds) / ((emittedAt - steadyStart) / 1000);
    const cpuPct = (cpuS / ((emittedAt - steadyStart) / 1000)) * 100;
    await committedAll(kafka, topics.clean, groupId, 120_000);
    const catchUp = (performance.now() - emittedAt) / 1000;

    const result: ArchiverBenchResult = {
      archiver_events_per_s: Math.round(drained),
      archiver_fed_events_per_s: Math.round(fed),
      archiver_cpu_pct: Math.round(cpuPct * 10) / 10,
      archiver_catch_up_s: Math.round(catchUp * 10) / 10,
      archiver_rss_mb: Math.round(peakRss / 2 ** 20),
    };
    printTable(`archiver — ${backlog.toLocaleString('en')} backlog, then ${rate}/s for ${steadySeconds}s`, [
      [
        'backlog drained (events/s, one instance, 6 partitions)',
        `${result.archiver_events_per_s.toLocaleString('en')} /s`,
      ],
      ['steady feed (events/s)', `${result.archiver_fed_events_per_s.toLocaleString('en')} /s`],
      ['CPU at the steady feed (% of one core; goal ≤ 10)', `${result.archiver_cpu_pct} %`],
      ['all committed after the last emit (roll age 10 s)', `${result.archiver_catch_up_s} s`],
      ['peak RSS', `${result.archiver_rss_mb} MiB`],
    ]);
    return result;
  } finally {
    clearInterval(sampleRss);
    if (child) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000)]);
    }
    await removeArchive(env, prefix);
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
    await cleanup.disconnect();
  }
}

/** The bench's objects are not locked: remove them so repeated runs do not fill the bucket. */
async function removeArchive(env: NodeJS.ProcessEnv, prefix: string): Promise<void> {
  const s3 = s3Settings(env);
  const store = new ArchiveStore(s3Client(s3), s3.bucket, 16 * 1_048_576, prefix);
  for (const folder of ['tenant=', '_digests/'])
    for (const { key } of await store.list(folder)) await store.deleteAllVersions(key);
}
