import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Indexer, indexFor, templateBody, toEcsDocument } from '@auditflow/indexer';
import { createTopicsReady } from '@auditflow/kafka';
import { createAuditProducer } from '@auditflow/producer';
import { createQueryApi } from '@auditflow/query-api';
import { type AuditEvent, toAuditEvent } from '@auditflow/schemas';
import { Client } from '@elastic/elasticsearch';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { sampleEvent } from '../support/events.ts';
import { percentile, printTable } from './stats.ts';

export interface IndexerBenchResult {
  indexer_docs_per_s: number;
  raw_bulk_docs_per_s: number;
  indexer_ratio: number;
  searchable_p99_ms: number;
  searchable_p50_ms: number;
  query_p99_ms: number;
  query_p50_ms: number;
  query_corpus_docs: number;
}

const silent = pino({ level: 'silent' });

function events(n: number, offset = 0): AuditEvent[] {
  const base = Date.now() - 6 * 3_600_000;
  return Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    return toAuditEvent(
      {
        ...sampleEvent(i, { correlation_id: `bench-${i % 997}`, tenant_id: `tenant-${i % 20}` }),
        occurred_at: new Date(base + (i % 21_600) * 1000).toISOString(),
      },
      {
        id: `0192f7a4-6b1e-7c3d-${(0x8000 + (i >>> 28)).toString(16)}-${(i & 0xfffffff).toString(16).padStart(12, '0')}`,
        occurredAt: 0,
        producerId: 'bench',
        sequence: i + 1,
      },
    );
  });
}

/** The baseline: the same documents straight to `_bulk`, 1000 per request, 3 requests in flight. */
async function rawBulk(es: Client, prefix: string, docs: AuditEvent[]): Promise<number> {
  const started = performance.now();
  const batches: AuditEvent[][] = [];
  for (let i = 0; i < docs.length; i += 1000) batches.push(docs.slice(i, i + 1000));
  let next = 0;
  await Promise.all(
    [0, 1, 2].map(async () => {
      while (next < batches.length) {
        const batch = batches[next++] as AuditEvent[];
        await es.bulk({
          operations: batch.flatMap((e) => [
            { create: { _index: indexFor({ mode: 'daily_indices', prefix }, e.occurred_at), _id: e.id } },
            toEcsDocument(e, Date.now()),
          ]),
        });
      }
    }),
  );
  return docs.length / ((performance.now() - started) / 1000);
}

async function count(es: Client, prefix: string): Promise<number> {
  await es.indices.refresh({ index: `${prefix}*` }).catch(() => {});
  return (await es.count({ index: `${prefix}*` }).catch(() => ({ count: 0 }))).count;
}

export async function benchIndexer(options: {
  brokers: string;
  registryUrl: string;
  elasticsearchUrl: string;
  quick: boolean;
}): Promise<IndexerBenchResult> {
  const n = options.quick ? 20_000 : 100_000;
  const es = new Client({ node: options.elasticsearchUrl });
  const run = Date.now().toString(36);
  const rawPrefix = `audit-events-bench-raw-${run}`;
  const idxPrefix = `audit-events-bench-idx-${run}`;
  const docs = events(n);
  // The baseline writes into the same mappings the indexer installs.
  await es.indices.putIndexTemplate({
    name: rawPrefix,
    ...(templateBody({ mode: 'daily_indices', prefix: rawPrefix }, { replicas: 0 }) as object),
  });
  const rawRate = await rawBulk(es, rawPrefix, docs);

  // The indexer over the same events from a Kafka topic.
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: options.brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench.indexer.${run}`;
  await createTopicsReady(admin, [{ topic, numPartitions: 6 }, { topic: `${topic}.dlq` }]);
  const spool = mkdtempSync(join(tmpdir(), 'bench-idx-'));
  const producer = createAuditProducer(
    {
      brokers: options.brokers.split(','),
      schemaRegistryUrl: options.registryUrl,
      topic,
      spool: { dir: spool, maxBytes: 2 ** 30 },
    },
    { logger: silent },
  );
  for (let i = 0; i < n; i++)
    producer.emit(sampleEvent(i, { correlation_id: `bench-${i % 997}`, tenant_id: `tenant-${i % 20}` }));
  await producer.flush(300_000);
  const indexer = new Indexer(
    {
      brokers: options.brokers.split(','),
      registryUrl: options.registryUrl,
      groupId: `${topic}.indexer`,
      topic,
      dlqTopic: `${topic}.dlq`,
      indexPrefix: idxPrefix,
      searchRetentionDays: 30,
      replicas: 0,
      concurrency: 3,
    },
    es,
    { logger: silent, registry: new Registry() },
  );
  await indexer.start();
  let first = await count(es, idxPrefix);
  while (first === 0) {
    await sleep(20);
    first = await count(es, idxPrefix);
  }
  const started = performance.now();
  while ((await count(es, idxPrefix)) < n) await sleep(100);
  const indexerRate = (n - first) / ((performance.now() - started) / 1000);

  // emit -> searchable while the indexer runs: a probe every 100 ms among steady traffic.
  const probes = new Map<string, number>();
  const latencies: number[] = [];
  const until = Date.now() + (options.quick ? 15_000 : 40_000);
  const poller = (async () => {
    while (Date.now() < until + 5000 || probes.size > 0) {
      if (probes.size > 0) {
        const found = await es.search<{ audit: { correlation_id: string } }>({
          index: `${idxPrefix}*`,
          size: 100,
          query: { terms: { 'audit.correlation_id': [...probes.keys()] } },
          _source: ['audit.correlation_id'],
        });
        for (const hit of found.hits.hits) {
          const id = hit._source?.audit.correlation_id as string;
          const sent = probes.get(id);
          if (sent !== undefined) {
            latencies.push(Date.now() - sent);
            probes.delete(id);
          }
        }
      }
      if (Date.now() > until + 30_000) break;
      await sleep(25);
    }
  })();
  let k = 0;
  while (Date.now() < until) {
    for (let i = 0; i < 50; i++) producer.emit(sampleEvent(n + k * 50 + i, { tenant_id: 'tenant-load' }));
    const id = `probe-${k++}`;
    producer.emit(sampleEvent(k, { correlation_id: id, tenant_id: 'tenant-probe' }));
    probes.set(id, Date.now());
    await sleep(100);
  }
  await poller;
  await indexer.stop();
  await producer.close();
  rmSync(spool, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);

  // Query API p99 for filtered searches over the corpus (raw + indexed: 2n; the full run adds to 1M).
  if (!options.quick) {
    for (let loaded = 2 * n; loaded < 1_000_000; loaded += 100_000)
      await rawBulk(es, rawPrefix, events(100_000, loaded));
  }
  await es.indices.refresh({ index: 'audit-events-bench-*' });
  const corpus = (await es.count({ index: `audit-events-bench-*${run}*` })).count;
  const api = createQueryApi({
    config: {
      host: '127.0.0.1',
      port: 0,
      index: `audit-events-bench-*${run}*`,
      exportCap: 10_000,
      selfTenant: 'auditflow',
      clients: [{ id: 'bench', token: 'bench-token-0123456789', tenants: ['*'] }],
    },
    es,
    producer: { emit: () => ({ id: '', sequence: 0 }) } as never,
    logger: silent,
    registry: new Registry(),
  });
  const { port } = await api.listen();
  const queries = [
    (i: number) => `tenant_id=tenant-${i % 20}&action=agent.flow.*&from=6h&size=50`,
    (i: number) => `actor=u-${i % 17}&outcome=failure&size=50`,
    (i: number) => `correlation_id=bench-${i % 997}&size=50`,
    (i: number) => `tenant_id=tenant-${i % 20}&q=batch-${i % 10}&size=50`,
  ];
  const queryTimes: number[] = [];
  for (let i = 0; i < 400; i++) {
    const t = performance.now();
    const res = await fetch(
      `http://127.0.0.1:${port}/v1/events?${(queries[i % queries.length] as (i: number) => string)(i)}`,
      { headers: { authorization: 'Bearer bench-token-0123456789' } },
    );
    await res.arrayBuffer();
    if (i >= 20) queryTimes.push(performance.now() - t); // first 20 warm caches
  }
  queryTimes.sort((a, b) => a - b);
  await api.close();
  await es.indices.delete({ index: `audit-events-bench-*${run}*` }).catch(() => {});
  await es.indices.deleteIndexTemplate({ name: idxPrefix }).catch(() => {});
  await es.indices.deleteIndexTemplate({ name: rawPrefix }).catch(() => {});
  await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => {});
  await admin.disconnect();
  await es.close();

  const result: IndexerBenchResult = {
    indexer_docs_per_s: indexerRate,
    raw_bulk_docs_per_s: rawRate,
    indexer_ratio: indexerRate / rawRate,
    searchable_p50_ms: percentile(latencies, 50),
    searchable_p99_ms: percentile(latencies, 99),
    query_p50_ms: percentile(queryTimes, 50),
    query_p99_ms: percentile(queryTimes, 99),
    query_corpus_docs: corpus,
  };
  const rate = (v: number) => `${Math.round(v).toLocaleString('en')} docs/s`;
  printTable(`indexer — ${n.toLocaleString('en')} events`, [
    ['baseline: raw _bulk (1000/request, 3 in flight)', rate(rawRate)],
    ['indexer (Kafka -> Elasticsearch)', `${rate(indexerRate)}  (ratio ${result.indexer_ratio.toFixed(2)})`],
    [
      `emit -> searchable p50 / p99 (${latencies.length} probes)`,
      `${result.searchable_p50_ms} ms / ${result.searchable_p99_ms} ms`,
    ],
    [
      `query API p50 / p99 over ${corpus.toLocaleString('en')} docs`,
      `${result.query_p50_ms.toFixed(1)} ms / ${result.query_p99_ms.toFixed(1)} ms`,
    ],
  ]);
  return result;
}
