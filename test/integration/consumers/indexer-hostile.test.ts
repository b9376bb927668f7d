import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { consumeAll } from '../../support/consume.ts';
import { elasticsearchClient, unique } from '../../support/endpoints.ts';
import {
  countWhen,
  deadLettered,
  indexerTestScope,
  testIndexer,
  writeRecords,
} from '../../support/indexer.ts';
import { createPipelineTopics } from '../../support/pipeline-topics.ts';
import { avroRecord, cleanRecord } from '../../support/records.ts';

const DAY = 86_400_000;

describe('indexer: hostile records never stop it (real Kafka and Elasticsearch)', () => {
  const es = elasticsearchClient();
  const scope = indexerTestScope(es);
  const running = scope.running;
  const prefixFor = scope.prefix;
  afterAll(() => scope.cleanup());

  it('dead-letters permanent failures planted between good records with their reasons and indexes every good one after them', async () => {
    const topics = await createPipelineTopics('idx-poison');
    const prefix = prefixFor('poison');
    const good = Array.from({ length: 40 }, (_, i) =>
      cleanRecord({
        // A 128-character CJK tenant with a control character is valid data, not a failure.
        tenant_id: i === 7 ? `租户${'测'.repeat(125)}\u0007` : 'acme',
        occurred_at: i === 9 ? Date.now() - 400 * DAY : Date.now(), // ancient: filed under receipt
      }),
    );
    const receivedAt = Date.now() - 1500;
    good[0] = cleanRecord({ ingest: { via: 'gateway', client_id: 'ci-bot', received_at: receivedAt } });
    const farFuture = cleanRecord({ occurred_at: 4_000_000_000_000_000 }); // beyond what ES dates hold
    const notJson = cleanRecord({ details: '{"unterminated": ' });
    const records = [
      ...good.slice(0, 10).map((event) => ({ event, partition: 0 })),
      { value: Buffer.from('not avro at all'), partition: 0 },
      ...good.slice(10, 20).map((event) => ({ event, partition: 0 })),
      { event: farFuture, partition: 0 },
      ...good.slice(20, 30).map((event) => ({ event, partition: 0 })),
      { event: notJson, partition: 0 },
      ...good.slice(30).map((event) => ({ event, partition: 0 })),
    ];
    await writeRecords(topics.clean, records);
    const run = testIndexer(topics, prefix, es);
    running.push(run);
    await run.start();
    expect(await countWhen(es, prefix, good.length)).toBe(good.length);

    const dead = await deadLettered(topics.dlq, 3);
    expect(dead.map((d) => [d.stage, d.reason, d.id]).sort()).toEqual(
      [
        ['indexer', 'wrong_magic_byte', undefined],
        ['indexer', 'elasticsearch_rejected', farFuture.id],
        ['indexer', 'invalid_value', notJson.id],
      ].sort(),
    );
    expect(dead.find((d) => d.id === farFuture.id)?.error).toMatch(/parse|date|timestamp/i);
    // Every good record is there once, the last ones included; no index outside the window.
    const found = await es.search({
      index: `${prefix}-*`,
      size: 100,
      _source: false,
      query: { match_all: {} },
    });
    expect(new Set(found.hits.hits.map((h) => h._id))).toEqual(new Set(good.map((e) => e.id)));
    const indices = (await es.cat.indices({ index: `${prefix}-*`, format: 'json', h: 'index' })) as {
      index: string;
    }[];
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '.');
    expect(indices.map((i) => i.index)).toEqual([`${prefix}-${today}`]);
    // The origin stamp is searchable: receipt time as event.ingested, door and client under audit.ingest.
    const stamped = await es.search<{ event: { ingested: string } }>({
      index: `${prefix}-*`,
      query: {
        bool: {
          filter: [
            { term: { 'audit.ingest.client_id': 'ci-bot' } },
            { term: { 'audit.ingest.via': 'gateway' } },
          ],
        },
      },
    });
    expect(stamped.hits.hits.map((h) => [h._id, h._source?.event.ingested])).toEqual([
      [good[0]?.id, new Date(receivedAt).toISOString()],
    ]);
    const byReceipt = await es.count({
      index: `${prefix}-*`,
      query: { term: { 'audit.time_basis': 'receipt' } },
    });
    expect(byReceipt.count).toBe(1); // the ancient one
  });

  it('a 409 from another tenant is an id_conflict in the DLQ, a redelivery of the same event is not', async () => {
    const topics = await createPipelineTopics('idx-conflict');
    const prefix = prefixFor('conflict');
    const id = randomUUID();
    const acme = cleanRecord({ id, tenant_id: 'acme' });
    const globex = cleanRecord({ id, tenant_id: 'globex' }); // another fingerprint, the same chosen id
    const unenrichedGlobex = avroRecord({ id, tenant_id: 'globex', producer: { id: 'other', sequence: 9 } });
    const after = cleanRecord({ tenant_id: 'globex' });
    await writeRecords(topics.clean, [
      { event: acme, partition: 0 },
      { event: globex, partition: 0 },
      { event: acme, partition: 0 }, // redelivered: already indexed
      { event: unenrichedGlobex, partition: 0 },
      { event: after, partition: 0 },
    ]);
    const run = testIndexer(topics, prefix, es);
    running.push(run);
    await run.start();
    expect(await countWhen(es, prefix, 2)).toBe(2);
    const dead = await deadLettered(topics.dlq, 2);
    expect(dead).toHaveLength(2);
    for (const d of dead)
      expect(d).toMatchObject({ stage: 'indexer', reason: 'id_conflict', id, tenant: 'globex' });
    expect(dead[0]?.error).toContain('different event');
    const stored = await es.search<{ organization: { id: string } }>({
      index: `${prefix}-*`,
      query: { ids: { values: [id] } },
    });
    expect(stored.hits.hits.map((h) => h._source?.organization.id)).toEqual(['acme']);
    await sleep(2000);
    expect(await consumeAll(topics.dlq)).toHaveLength(2); // the redelivered acme copy is not one
  });

  it('a partition Elasticsearch cannot take for now backs off alone; the others keep indexing; nothing is dead-lettered', async () => {
    const topics = await createPipelineTopics('idx-backoff');
    const prefix = prefixFor('backoff');
    const blockedAt = Date.now() - 2 * DAY;
    const blockedIndex = `${prefix}-${new Date(blockedAt).toISOString().slice(0, 10).replaceAll('-', '.')}`;
    const run = testIndexer(topics, prefix, es, unique('idx-group'), { maxBackoffMs: 1000 });
    running.push(run);
    await run.start(); // installs the template, so the blocked index gets the mappings
    await es.indices.create({ index: blockedIndex, settings: { 'index.blocks.write': true } });
    const held = Array.from({ length: 30 }, () => cleanRecord({ occurred_at: blockedAt }));
    const flowing = Array.from({ length: 60 }, () => cleanRecord());
    await writeRecords(topics.clean, [
      ...held.map((event) => ({ event, partition: 0 })),
      ...flowing.map((event, i) => ({ event, partition: 1 + (i % 2) })),
    ]);
    expect(await countWhen(es, prefix, flowing.length)).toBe(flowing.length);
    await sleep(3000); // several backoffs of partition 0
    expect((await es.count({ index: blockedIndex })).count).toBe(0);
    await es.indices.putSettings({ index: blockedIndex, settings: { 'index.blocks.write': false } });
    expect(await countWhen(es, prefix, held.length + flowing.length)).toBe(held.length + flowing.length);
    expect((await es.count({ index: blockedIndex })).count).toBe(held.length);
    expect(await consumeAll(topics.dlq)).toHaveLength(0);
  });
});
