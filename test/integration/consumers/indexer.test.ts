import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTopicsReady } from '@auditflow/kafka';
import { createAuditProducer } from '@auditflow/producer';
import { auditEventSchema, HEADERS } from '@auditflow/schemas';
import { Client } from '@elastic/elasticsearch';
import avro from 'avsc';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { consumeCount } from '../../support/consume.ts';
import { dedicatedElasticsearch } from '../../support/dedicated-servers.ts';
import {
  elasticsearchClient,
  endpoints,
  kafkaClient,
  registryClient,
  unique,
} from '../../support/endpoints.ts';
import { sampleEvent } from '../../support/events.ts';
import { countWhen, indexerTestScope, testIndexer } from '../../support/indexer.ts';
import { avroRecord } from '../../support/records.ts';

async function topicsFor(prefix: string): Promise<{ clean: string; dlq: string }> {
  const id = unique(prefix);
  const topics = { clean: `${id}.clean`, dlq: `${id}.dlq` };
  const admin = kafkaClient('indexer-test').admin();
  await admin.connect();
  await createTopicsReady(
    admin,
    Object.values(topics).map((topic) => ({ topic, numPartitions: 3 })),
  );
  await admin.disconnect();
  return topics;
}

async function emit(topic: string, count: number, offset = 0): Promise<void> {
  const producer = createAuditProducer(
    {
      brokers: endpoints().KAFKA_BROKERS.split(','),
      schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL,
      topic,
      spool: { dir: mkdtempSync(join(tmpdir(), 'idx-spool-')) },
    },
    { logger: pino({ level: 'silent' }) },
  );
  for (let i = offset; i < offset + count; i++)
    producer.emit(sampleEvent(i, { correlation_id: `idx-${i % 7}` }));
  await producer.close(60_000);
}

describe('indexer against real Kafka and Elasticsearch', () => {
  const es = elasticsearchClient();
  const scope = indexerTestScope(es);
  const running = scope.running;
  afterAll(() => scope.cleanup());

  it('indexes every event once as an ECS document; a redelivery of everything adds no duplicate', async () => {
    const topics = await topicsFor('it.idx');
    const prefix = scope.prefix('t');
    await emit(topics.clean, 500);
    const first = testIndexer(topics, prefix, es);
    running.push(first);
    await first.start();
    expect(first.indexLayout?.mode).toBe('daily_indices'); // the local build has no data streams
    expect(await countWhen(es, prefix, 500)).toBe(500);
    // As if the indexer died after its bulk request and before its commit: a new group re-reads all.
    const again = testIndexer(topics, prefix, es);
    running.push(again);
    await again.start();
    await sleep(5000);
    expect(await countWhen(es, prefix, 500)).toBe(500);

    interface Doc {
      '@timestamp': string;
      organization?: { id: string };
      audit?: { details?: { request?: { method?: string } } };
    }
    const hit = await es.search<Doc>({
      index: prefix,
      query: { term: { 'event.action': 'git.push' } },
      size: 1,
    });
    const doc = hit.hits.hits[0]?._source;
    expect(doc?.['@timestamp']).toMatch(/Z$/);
    expect(doc?.organization?.id).toBe('acme');
    expect(doc?.audit?.details?.request?.method).toBe('POST');
    const byDetails = await es.count({
      index: prefix,
      query: { term: { 'audit.details.request.method': 'POST' } },
    });
    expect(byDetails.count).toBe(500); // flattened details are searchable without mapping them
    const template = await es.indices.getIndexTemplate({ name: prefix });
    expect(template.index_templates[0]?.index_template.index_patterns).toEqual([`${prefix}*`]);
  });

  it('sends a document Elasticsearch rejects to the DLQ with the reason and indexes the rest', async () => {
    const topics = await topicsFor('it.idx-reject');
    const prefix = scope.prefix('r');
    await emit(topics.clean, 20);
    const id = await registryClient().getLatestSchemaId(`${topics.clean}-value`);
    const writer = avro.Type.forSchema(auditEventSchema as unknown as avro.Schema);
    const header = Buffer.alloc(5);
    header.writeInt32BE(id, 1);
    const far = avroRecord({
      id: '0192f7a4-6b1e-7c3d-9a4b-00000000dead',
      occurred_at: 4_000_000_000_000_000, // year 128,724: beyond what Elasticsearch dates parse
    });
    const raw = kafkaClient('idx-reject').producer();
    await raw.connect();
    await raw.send({
      topic: topics.clean,
      messages: [{ key: 'far', value: Buffer.concat([header, writer.toBuffer(far)]) }],
    });
    await raw.disconnect();
    await emit(topics.clean, 20, 1000);

    const run = testIndexer(topics, prefix, es);
    running.push(run);
    await run.start();
    expect(await countWhen(es, prefix, 40)).toBe(40);
    const [dead] = await consumeCount(topics.dlq, 1);
    expect(dead?.message.headers?.[HEADERS.reason]?.toString()).toBe('elasticsearch_rejected');
    expect(dead?.message.headers?.[HEADERS.error]?.toString()).toMatch(/parse|date|timestamp/i);
  });

  it('waits while Elasticsearch is stopped mid-stream, then indexes everything once', {
    timeout: 300_000,
  }, async () => {
    const own = dedicatedElasticsearch(19200);
    await own.start();
    const client = new Client({ node: own.url, requestTimeout: 5000, maxRetries: 0 });
    try {
      const topics = await topicsFor('it.idx-outage');
      const prefix = `audit-events-${unique('o').toLowerCase()}`;
      await emit(topics.clean, 200);
      const run = testIndexer(topics, prefix, client);
      running.push(run);
      await run.start();
      expect(await countWhen(client, prefix, 200)).toBe(200);

      await own.stop(); // Elasticsearch itself goes away
      await emit(topics.clean, 300, 200);
      await sleep(20_000);
      await own.start(); // same data directory: the first 200 are still there
      expect(await countWhen(client, prefix, 500)).toBe(500);
      await sleep(3000);
      expect(await countWhen(client, prefix, 500)).toBe(500); // and no duplicates came later
    } finally {
      await client.close();
      await own.stop();
    }
  });

  it('drops daily indices past the search retention where the cluster has no ILM', async () => {
    const topics = await topicsFor('it.idx-retention');
    const prefix = scope.prefix('s');
    const run = testIndexer(topics, prefix, es);
    running.push(run);
    await run.start();
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '.');
    for (const day of ['2020.01.01', '2020.01.02', today])
      await es.indices.create({ index: `${prefix}-${day}` });
    const deleted = await run.sweepRetention();
    expect(deleted.sort()).toEqual([`${prefix}-2020.01.01`, `${prefix}-2020.01.02`]);
    const left = (await es.cat.indices({ index: `${prefix}-*`, format: 'json', h: 'index' })) as {
      index: string;
    }[];
    expect(left.map((i) => i.index)).toEqual([`${prefix}-${today}`]);
  });
});
