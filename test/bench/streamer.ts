/**
 * Streamer benchmark (L1–L3): the streamer as a child process of its own (so its CPU and RSS are
 * its own), 100 concurrent SSE subscribers with different filters in a second child, and the
 * SDK emitting at a steady pipeline-like rate into a fresh topic from this process. Latency is
 * emit → subscriber: the SDK stamps `occurred_at` at emit(), the subscriber reads it on arrival
 * (one machine, one clock).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTopicsReady } from '@auditflow/kafka';
import { createAuditProducer } from '@auditflow/producer';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { benchEvent } from '../support/events.ts';
import { cpuSecondsOf, rssOf } from './rss.ts';
import { percentile, printTable } from './stats.ts';

export interface StreamerBenchResult {
  subscriber_p99_ms: number;
  subscriber_p50_ms: number;
  streamer_cpu_pct: number;
  streamer_rss_mb: number;
  streamer_subscribers: number;
}

const SUBSCRIBERS = 100;
const TENANTS = 7;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Ten kinds of filter, cycled over the subscribers; subscriber 0 takes everything. */
function filterFor(i: number): string {
  if (i === 0) return '';
  const kinds = [
    `action=auth.*&tenant_id=tenant-${i % TENANTS}`,
    'action=git.*',
    `tenant_id=tenant-${i % TENANTS}`,
    'outcome=failure',
    `action=gitlab.api.*&tenant_id=tenant-${i % TENANTS}`,
    `actor=u-${i % 17}`,
    'category=source_control',
    'action=agent.flow.started&outcome=success',
    `tenant_id=tenant-${i % TENANTS}&tenant_id=tenant-${(i + 1) % TENANTS}`,
    'action=*.push',
  ];
  return kinds[i % kinds.length] as string;
}

/**
 * The subscriber side, run as `node --import tsx test/bench/streamer.ts --subscribers <url> <token>`:
 * opens the subscribers, prints `ready`, records latencies, and on `done` (stdin) prints one
 * JSON line with the percentiles and exits.
 */
async function runSubscribers(url: string, token: string): Promise<void> {
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  let connected = 0;
  let overflows = 0;
  let ended = 0;
  const record = (ms: number): void => {
    if (n === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[n++] = ms;
  };
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const req = request(`${url}/v1/stream?${filterFor(i)}`, {
      headers: { authorization: `Bearer ${token}` },
      agent: false,
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) throw new Error(`subscriber ${i}: status ${res.statusCode}`);
      connected++;
      if (connected === SUBSCRIBERS) process.stdout.write('ready\n');
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        const now = Date.now();
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (frame.includes('event: overflow')) overflows++;
          else {
            const at = /"occurred_at":"([^"]+)"/.exec(frame)?.[1];
            if (at) record(now - Date.parse(at));
          }
          end = buffer.indexOf('\n\n');
        }
      });
      res.on('end', () => ended++);
    });
    req.on('error', (err) => {
      throw err;
    });
    req.end();
  }
  for await (const line of createInterface({ input: process.stdin })) {
    if (line !== 'done') continue;
    const sorted = latencies.slice(0, n).sort();
    process.stdout.write(
      `${JSON.stringify({
        deliveries: n,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        p999: percentile(sorted, 99.9),
        max: sorted[n - 1] ?? Number.NaN,
        overflows,
        ended,
        connected,
      })}\n`,
    );
    process.exit(0);
  }
}

const freePort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};

const rssMb = (pid: number): number => Math.round((rssOf(pid) ?? Number.NaN) / 2 ** 20);

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the streamer exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await sleep(200);
  }
  throw new Error('the streamer did not become ready within 60 s');
}

function lines(child: ChildProcess): AsyncIterator<string> {
  return createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
}

export async function benchStreamer(opts: {
  brokers: string;
  registryUrl: string;
  quick: boolean;
}): Promise<StreamerBenchResult> {
  const seconds = opts.quick ? 20 : 60;
  const rate = 1000; // events/s: in the range the pipeline delivers to the clean topic here
  const topic = `bench.streamer.${Date.now()}.clean`;
  const kafka = new Kafka({
    clientId: 'bench-streamer',
    brokers: opts.brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsReady(admin, [{ topic, numPartitions: 6 }]);

  const port = await freePort();
  const token = randomBytes(24).toString('base64url');
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: opts.brokers,
    SCHEMA_REGISTRY_URL: opts.registryUrl,
    AUDITFLOW_STREAM_TOPIC: topic,
    AUDITFLOW_STREAM_PORT: String(port),
    AUDITFLOW_STREAM_TOKEN: token,
    AUDITFLOW_INSTANCE_ID: 'bench',
  };
  delete env.AUDITFLOW_DESTINATIONS_FILE; // live subscribers only
  delete env.AUDITFLOW_STREAM_TOKENS_FILE;
  const streamer = spawn(process.execPath, ['consumers/streamer/dist/main.js'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let subscribers: ChildProcess | undefined;
  try {
    await waitReady(url, streamer);
    subscribers = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=auditflow-source',
        fileURLToPath(import.meta.url),
        '--subscribers',
        url,
        token,
      ],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const out = lines(subscribers);
    if ((await out.next()).value !== 'ready') throw new Error('the subscribers did not connect');

    const producer = createAuditProducer(
      {
        brokers: opts.brokers.split(','),
        schemaRegistryUrl: opts.registryUrl,
        topic,
        spool: { dir: mkdtempSync(join(tmpdir(), 'bench-streamer-spool-')) },
      },
      { logger: pino({ level: 'silent' }) },
    );
    // Warm-up: schema registration and producer connections happen before the clock starts.
    producer.emit({ ...benchEvent(0), tenant_id: 'warmup', action: 'bench.warmup' });
    await sleep(2000);
    const cpuBefore = cpuSecondsOf(streamer.pid as number);
    const started = performance.now();
    let emitted = 0;
    let peakRss = 0;
    // Steady rate in 50 ms steps, catching up if a step ran late.
    while (performance.now() - started < seconds * 1000) {
      const due = Math.floor(((performance.now() - started) / 1000) * rate);
      for (; emitted < due; emitted++)
        producer.emit({ ...benchEvent(emitted), tenant_id: `tenant-${emitted % TENANTS}` });
      if (emitted % 1000 < 50) peakRss = Math.max(peakRss, rssMb(streamer.pid as number));
      await sleep(50);
    }
    const elapsed = (performance.now() - started) / 1000;
    const cpu = cpuSecondsOf(streamer.pid as number) - cpuBefore;
    peakRss = Math.max(peakRss, rssMb(streamer.pid as number));
    await producer.close(60_000);
    await sleep(3000); // the last events reach the subscribers
    const metrics = await fetch(`${url}/metrics`).then((r) => r.text());
    const connected = Number(
      /auditflow_streamer_subscribers\{transport="sse"\} (\d+)/.exec(metrics)?.[1] ?? 0,
    );
    subscribers.stdin?.write('done\n');
    const summary = JSON.parse((await out.next()).value as string) as {
      deliveries: number;
      p50: number;
      p99: number;
      p999: number;
      max: number;
      overflows: number;
    };
    const result: StreamerBenchResult = {
      subscriber_p99_ms: summary.p99,
      subscriber_p50_ms: summary.p50,
      streamer_cpu_pct: Math.round((cpu / elapsed) * 1000) / 10,
      streamer_rss_mb: peakRss,
      streamer_subscribers: connected,
    };
    printTable(`Streamer: ${SUBSCRIBERS} SSE subscribers, ${rate} events/s for ${Math.round(elapsed)} s`, [
      ['events emitted', `${emitted} (${Math.round(emitted / elapsed)}/s, ~1 KB each)`],
      ['deliveries to subscribers', `${summary.deliveries} (${Math.round(summary.deliveries / elapsed)}/s)`],
      ['emit → subscriber p50', `${summary.p50} ms`],
      ['emit → subscriber p99', `${summary.p99} ms (goal ≤ 500 ms)`],
      ['emit → subscriber p99.9 / max', `${summary.p999} / ${summary.max} ms`],
      ['overflows', String(summary.overflows)],
      ['subscribers connected at the end', String(connected)],
      ['streamer CPU', `${result.streamer_cpu_pct}% of one core`],
      ['streamer RSS (peak sampled)', `${peakRss} MB`],
    ]);
    return result;
  } finally {
    subscribers?.kill('SIGTERM');
    streamer.kill('SIGTERM');
    await new Promise((resolve) =>
      streamer.exitCode !== null ? resolve(null) : streamer.once('exit', resolve),
    );
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
}

if (
  process.argv[1] &&
  import.meta.url === pathToFileURL(process.argv[1]).href &&
  process.argv[2] === '--subscribers'
) {
  await runSubscribers(process.argv[3] as string, process.argv[4] as string);
}
