import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createTopicsReady } from '@auditflow/kafka';
import { kafkaClasspath, pickJdk, resolvePaths } from '@auditflow/stack';
import { Kafka, logLevel } from 'kafkajs';
import { printTable } from './stats.ts';

export interface PerfTestResult {
  kafka_perftest_events_per_s: number;
  kafka_perftest_mb_per_s: number;
  kafka_perftest_p99_ms: number;
  kafka_perftest_record_bytes: number;
}

/**
 * The closing summary line of Kafka's ProducerPerformance, e.g.
 * "100000 records sent, 52631.6 records/sec (50.19 MB/sec), 310.2 ms avg latency, 700.0 ms max
 * latency, 290 ms 50th, 560 ms 95th, 650 ms 99th, 690 ms 99.9th."
 */
export function parsePerfTestSummary(
  stdout: string,
): { records: number; perS: number; mbPerS: number; p99Ms: number } | undefined {
  const m = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\).*?([\d.]+) ms 99th/.exec(stdout);
  if (!m) return undefined;
  return { records: Number(m[1]), perS: Number(m[2]), mbPerS: Number(m[3]), p99Ms: Number(m[4]) };
}

function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The baseline for pipeline throughput: Kafka's own `kafka-producer-perf-test`
 * (org.apache.kafka.tools.ProducerPerformance from the jars the stack installed), at our record
 * size, acks=all, on a fresh topic with the partitions of ours. Its payload is random bytes and
 * uncompressed (gzip would only cost it CPU on random data), so it is the broker's ceiling for
 * this record size on this machine.
 */
export async function benchKafkaPerfTest(options: {
  brokers: string;
  recordBytes: number;
  quick: boolean;
}): Promise<PerfTestResult> {
  const records = options.quick ? 200_000 : 1_000_000;
  const topic = `bench.perftest.${Date.now()}`;
  const admin = new Kafka({
    clientId: 'bench',
    brokers: options.brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  await createTopicsReady(admin, [{ topic, numPartitions: 6 }]);
  const java = join(pickJdk('kafka-producer-perf-test', 17).home, 'bin', 'java');
  const out = await run(java, [
    '-Xmx512m',
    '-cp',
    kafkaClasspath(resolvePaths()),
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    topic,
    '--num-records',
    String(records),
    '--record-size',
    String(options.recordBytes),
    '--throughput',
    '-1',
    '--producer-props',
    `bootstrap.servers=${options.brokers}`,
    'acks=all',
    'enable.idempotence=true',
  ]);
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
  const summary = parsePerfTestSummary(out.stdout);
  if (out.code !== 0 || !summary) {
    throw new Error(
      `kafka-producer-perf-test failed (exit ${out.code}):\n${out.stderr.slice(-2000)}\n${out.stdout.slice(-1000)}`,
    );
  }
  const result: PerfTestResult = {
    kafka_perftest_events_per_s: summary.perS,
    kafka_perftest_mb_per_s: summary.mbPerS,
    kafka_perftest_p99_ms: summary.p99Ms,
    kafka_perftest_record_bytes: options.recordBytes,
  };
  printTable(
    `kafka-producer-perf-test — ${records.toLocaleString('en')} records of ${options.recordBytes} bytes, acks=all, 6 partitions`,
    [
      ['records/s', `${Math.round(summary.perS).toLocaleString('en')} /s (${summary.mbPerS} MB/s)`],
      ['latency p99', `${summary.p99Ms} ms`],
    ],
  );
  return result;
}
