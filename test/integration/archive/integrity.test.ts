import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ArchiveStore, parseObjectKey, sweep, verifyStore } from '@auditflow/archive';
import type { Archiver } from '@auditflow/archiver';
import { createTopicsReady } from '@auditflow/kafka';
import type { Processor } from '@auditflow/processor-runtime';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARCHIVE_KEYS,
  ARCHIVE_SIGNING_KEY_ENV,
  archivedWhen,
  testArchiver,
  testArchiveStore,
} from '../../support/archive.ts';
import { runCli } from '../../support/cli.ts';
import { consumeCount } from '../../support/consume.ts';
import { emitEvents } from '../../support/emit.ts';
import { elasticsearchClient, kafkaClient, s3Client, unique } from '../../support/endpoints.ts';
import { sampleEvent } from '../../support/events.ts';
import { countWhen, testIndexer, writeRecords } from '../../support/indexer.ts';
import { createPipelineTopics, type PipelineTopics, pipelineFlags } from '../../support/pipeline-topics.ts';
import { stageProcessor } from '../../support/processors.ts';
import { avroRecord } from '../../support/records.ts';

const COUNT = 300;

/** The real CLI against this test's archive folder, trusting this run's signing key. */
const cli = (args: string[], env: Record<string, string>) =>
  runCli(args, { ...process.env, AUDITFLOW_ARCHIVE_SIGNING_KEY: ARCHIVE_SIGNING_KEY_ENV, ...env });

async function dataKeys(store: ArchiveStore): Promise<string[]> {
  return (await store.list('tenant=')).map((o) => o.key).filter((k) => parseObjectKey(k));
}

describe('archive integrity: reconcile, verify, replay (real Kafka, Elasticsearch, S3 store)', () => {
  const es = elasticsearchClient();
  const running: { stop(): Promise<void> }[] = [];
  const prefixes: string[] = [];
  let topics: PipelineTopics;
  let store: ArchiveStore;
  let ids: string[];
  let indexPrefix: string;
  const started = Date.now() - 60_000;
  let cliEnv: Record<string, string>;
  const groups = { indexer: unique('integrity-idx'), archiver: unique('integrity-arc') };
  let stopDownstream: () => Promise<void>;

  beforeAll(async () => {
    topics = await createPipelineTopics('integrity');
    store = testArchiveStore();
    indexPrefix = `audit-events-${unique('integrity').toLowerCase()}`;
    prefixes.push(indexPrefix);
    cliEnv = { AUDITFLOW_ARCHIVE_PREFIX: store.prefix };
    const stages: Processor[] = [stageProcessor('sanitizer', topics), stageProcessor('enricher', topics)];
    const idx = testIndexer(topics, indexPrefix, es, groups.indexer);
    // Small rolls, so each partition's digest chain has several links to break.
    const archiver: Archiver = testArchiver(topics, store, {
      groupId: groups.archiver,
      roll: { maxAgeMs: 2000, maxBytes: 24 * 1024 },
    });
    running.push(...stages, idx, archiver);
    stopDownstream = async () => {
      await idx.stop();
      await archiver.stop();
    };
    for (const s of stages) await s.start();
    await idx.start();
    await archiver.start();

    ids = await emitEvents(
      topics.raw,
      Array.from({ length: COUNT }, (_, i) => sampleEvent(i, { tenant_id: i % 2 === 0 ? 'acme' : 'globex' })),
    );
    // A record no decoder can read, in the middle of the traffic: it must be accounted as dead-lettered.
    const producer = kafkaClient('integrity-bad').producer();
    await producer.connect();
    await producer.send({ topic: topics.raw, messages: [{ value: Buffer.from('not avro at all') }] });
    await producer.disconnect();

    expect(await countWhen(es, indexPrefix, COUNT)).toBe(COUNT);
    expect(await archivedWhen(store, COUNT)).toHaveLength(COUNT);
    await consumeCount(topics.dlq, 1);
  }, 240_000);

  afterAll(async () => {
    for (const r of running.reverse()) await r.stop().catch(() => {});
    for (const prefix of prefixes)
      await es.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true }).catch(() => {});
    await es.close();
  });

  const reconcileArgs = () => [
    'reconcile',
    '--from',
    new Date(started).toISOString(),
    '--to',
    new Date(Date.now() + 60_000).toISOString(),
    '--index',
    `${indexPrefix}-*`,
    ...pipelineFlags(topics, { sanitizer: `${topics.raw}.sanitizer`, ...groups }),
    '--json',
  ];
  const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) as string);

  it('reconcile accounts for every event after a clean run, and names an event missing from the index', async () => {
    const clean = await cli(reconcileArgs(), cliEnv);
    expect(clean.stderr).not.toMatch(/Error/);
    const report = JSON.parse(clean.stdout.trim().split('\n').at(-1) as string);
    expect(report.gaps).toEqual([]);
    expect(clean.code).toBe(0);
    expect(report.counts).toMatchObject({
      emitted: COUNT + 1, // the undecodable record counts as emitted: it reached the raw topic
      raw: COUNT + 1,
      clean: COUNT,
      indexed: COUNT,
      archived: COUNT,
      deadLettered: 1,
    });

    // The gap: one document vanishes from the index.
    const lost = ids[123] as string;
    const hit = await es.search({ index: `${indexPrefix}-*`, query: { ids: { values: [lost] } } });
    const doc = hit.hits.hits[0];
    await es.delete({ index: doc?._index as string, id: lost, refresh: true });
    const gapped = await cli(reconcileArgs(), cliEnv);
    expect(gapped.code).toBe(1);
    const gaps = JSON.parse(gapped.stdout.trim().split('\n').at(-1) as string).gaps;
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ stage: 'index', id: lost });
  }, 120_000);

  it('reconcile counts events the index and archive have not reached yet as in flight, not gaps, and still names the real gap', async () => {
    // The index and the archive stop; the processors go on: new events reach the clean topic only.
    await stopDownstream();
    const late = await emitEvents(
      topics.raw,
      Array.from({ length: 10 }, (_, i) => sampleEvent(1000 + i, { tenant_id: 'acme' })),
    );
    await consumeCount(topics.clean, COUNT + late.length);

    const all = await cli(reconcileArgs(), cliEnv);
    const report = lastJson(all.stdout);
    expect(all.code).toBe(1); // the document deleted above is still a gap
    expect(report.gaps.map((g: { stage: string; id: string }) => [g.stage, g.id])).toEqual([
      ['index', ids[123]],
    ]);
    expect(report.counts.inFlight).toBe(2 * late.length);
    expect(new Set(report.inFlight.map((f: { id: string }) => f.id))).toEqual(new Set(late));
    expect(report.summary).toContainEqual({
      stage: 'archive',
      tenant: 'acme',
      expected: COUNT / 2 + late.length,
      present: COUNT / 2,
      deadLettered: 0,
      inFlight: late.length,
      gaps: 0,
    });

    // Lag alone is no failure: acme has only in-flight events, globex the one gap.
    const acme = await cli([...reconcileArgs(), '--tenant', 'acme'], cliEnv);
    expect(acme.code).toBe(0);
    expect(lastJson(acme.stdout)).toMatchObject({ gaps: [], counts: { inFlight: 2 * late.length } });
    const globex = await cli([...reconcileArgs(), '--tenant', 'globex'], cliEnv);
    expect(globex.code).toBe(1);

    // The text report opens with the per-stage, per-tenant summary; events only with --details.
    const text = await cli(
      reconcileArgs().filter((a) => a !== '--json'),
      cliEnv,
    );
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^stage\s+tenant\s+expected\s+present\s+dead-lettered\s+in flight\s+gaps$/);
    expect(lines.find((l) => l.startsWith('index') && l.includes('globex'))).toMatch(/\s1$/);
    expect(text.stdout).not.toContain(ids[123] as string);
    expect(text.stdout).toContain('--details lists them');
    expect(text.stdout).toMatch(/1 gaps; 20 events still in flight/);
    const details = await cli([...reconcileArgs().filter((a) => a !== '--json'), '--details'], cliEnv);
    expect(details.stdout).toContain(`GAP index: event ${ids[123]}`);
    for (const id of late) expect(details.stdout).toContain(`in flight archive: event ${id}`);
  }, 180_000);

  it('replay into an empty index restores every event, and a second replay adds no duplicate', async () => {
    const id = unique('integrity-replay');
    const replayTopics = { clean: `${id}.clean`, dlq: `${id}.dlq` };
    const admin = kafkaClient('integrity-replay').admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: replayTopics.clean, numPartitions: 3 },
        { topic: replayTopics.dlq, numPartitions: 1 },
      ],
    });
    await admin.disconnect();
    const rebuilt = `audit-events-${unique('rebuilt').toLowerCase()}`;
    prefixes.push(rebuilt);

    const args = [
      'replay',
      '--from',
      new Date(started).toISOString(),
      '--to',
      new Date(Date.now() + 60_000).toISOString(),
      '--topic',
      replayTopics.clean,
    ];
    const first = await cli(args, cliEnv);
    expect(first.stdout).toContain(`replayed ${COUNT} events`);
    const idx = testIndexer(replayTopics, rebuilt, es);
    running.push(idx);
    await idx.start();
    expect(await countWhen(es, rebuilt, COUNT)).toBe(COUNT);

    const second = await cli(args, cliEnv);
    expect(second.code).toBe(0);
    await consumeCount(replayTopics.clean, 2 * COUNT);
    await sleep(3000); // the indexer has had the second copy; ids make it a no-op
    expect(await countWhen(es, rebuilt, COUNT)).toBe(COUNT);
    const found = await es.search({
      index: `${rebuilt}-*`,
      size: COUNT,
      _source: false,
      query: { match_all: {} },
    });
    expect(new Set(found.hits.hits.map((h) => h._id))).toEqual(new Set(ids));

    // Replay restricted to one tenant republishes only that tenant.
    const acmeOnly = await cli([...args, '--tenant', 'acme'], cliEnv);
    expect(acmeOnly.stdout).toContain(`replayed ${COUNT / 2} events`);
  }, 180_000);

  it('verify passes on the untouched archive and names an altered, a deleted and an extra object and a broken chain', async () => {
    const untouched = await cli(['verify', '--json'], cliEnv);
    const okReport = JSON.parse(untouched.stdout.trim());
    expect(okReport).toMatchObject({ ok: true, events: COUNT, missing: [], altered: [], extra: [] });
    expect(untouched.code).toBe(0);
    const scoped = JSON.parse((await cli(['verify', '--tenant', 'globex', '--json'], cliEnv)).stdout);
    expect(scoped).toMatchObject({ ok: true, events: COUNT / 2 });

    const s3 = s3Client();
    const bucket = store.bucket;
    const digests = (await store.list('_digests/'))
      .map((o) => o.key)
      .filter((k) => !k.startsWith('_digests/keys/'))
      .sort();
    // A digest with a successor in its chain: removing it must break the chain. Its own objects
    // then belong to no digest, so the other tampering is done in other partitions.
    const chainOf = (k: string) => k.slice(0, k.lastIndexOf('/'));
    const middle = digests.find((k, i) => chainOf(digests[i + 1] ?? '') === chainOf(k)) as string;
    expect(middle).toBeDefined();
    const brokenPartition = Number(chainOf(middle).split('/').at(-1));
    const keys = (await dataKeys(store)).filter((k) => parseObjectKey(k)?.partition !== brokenPartition);
    expect(keys.length).toBeGreaterThanOrEqual(3);
    const [altered, deleted, neighbour] = keys as [string, string, string];
    // Object Lock keeps old versions, but the current one is what a reader gets: both count as tampering.
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: store.prefix + altered, Body: Buffer.from('rewritten') }),
    );
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: store.prefix + deleted }));
    const extra = neighbour.replace(/\/[^/]+$/, '/planted.ndjson.gz');
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: store.prefix + extra, Body: Buffer.from('x') }),
    );
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: store.prefix + middle }));

    const tampered = await cli(['verify'], cliEnv);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain(`altered: ${altered}`);
    expect(tampered.stdout).toContain(`missing: ${deleted}`);
    expect(tampered.stdout).toContain(`extra (in no digest): ${extra}`);
    expect(tampered.stdout).toMatch(/broken chain: /);
    expect(tampered.stdout).toContain('archive NOT verified');

    const report = await verifyStore(store, ARCHIVE_KEYS.publicKey);
    expect(report.ok).toBe(false);
    expect(report.altered).toEqual([altered]);
    expect(report.missing).toEqual([deleted]);
    expect(report.extra).toContain(extra);
    expect(report.brokenChain.length).toBeGreaterThan(0);
  }, 120_000);
});

describe('retention sweeper (real Kafka and S3 store)', () => {
  const DAY = 86_400_000;
  const running: { stop(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const r of running) await r.stop().catch(() => {});
  });

  it('deletes only expired objects, keeps those under legal hold until released, and records each deletion', async () => {
    const topics = await createPipelineTopics('sweep');
    const auditTopic = `${topics.raw}.audit`;
    const admin = kafkaClient('sweep').admin();
    await admin.connect();
    await createTopicsReady(admin, [{ topic: auditTopic, numPartitions: 1 }]);
    await admin.disconnect();
    const store = testArchiveStore();
    const env = { AUDITFLOW_ARCHIVE_PREFIX: store.prefix, AUDITFLOW_AUDIT_TOPIC: auditTopic };
    const archiver = testArchiver(topics, store);
    running.push(archiver);
    await archiver.start();

    const old = Date.now() - 400 * DAY; // past the default 365 days
    // Archived long ago: the records were written (received) then. An event merely claiming an
    // old time today would be filed under its receipt hour, outside the window.
    await writeRecords(
      topics.clean,
      Array.from({ length: 90 }, (_, i) => {
        const at = i % 3 === 2 ? Date.now() - 60_000 : old + i * 1000;
        return {
          event: avroRecord({
            id: randomUUID(),
            tenant_id: ['acme', 'globex', 'acme'][i % 3] as string,
            occurred_at: at,
          }),
          timestamp: at,
        };
      }),
    );
    await archivedWhen(store, 90);
    await archiver.stop();
    const before = await dataKeys(store);
    const tenantOf = (k: string) => parseObjectKey(k)?.tenant;
    const isOld = (k: string) => (parseObjectKey(k)?.hour ?? Date.now()) < Date.now() - 300 * DAY;
    const oldAcme = before.filter((k) => tenantOf(k) === 'acme' && isOld(k));
    const oldGlobex = before.filter((k) => tenantOf(k) === 'globex' && isOld(k));
    const recent = before.filter((k) => !isOld(k));
    expect(oldAcme.length).toBeGreaterThan(0);
    expect(oldGlobex.length).toBeGreaterThan(0);
    expect(recent.length).toBeGreaterThan(0);

    const hold = await cli(
      [
        'retention',
        'hold',
        '--tenant',
        'globex',
        '--from',
        new Date(old - DAY).toISOString(),
        '--to',
        new Date(old + DAY).toISOString(),
        '--reason',
        'case 4711',
      ],
      env,
    );
    expect(hold.code, hold.stderr).toBe(0);
    const holdId = /hold (\S+):/.exec(hold.stdout)?.[1] as string;
    expect(hold.stdout).toContain(`${oldGlobex.length} objects held`);

    const dry = await cli(['retention', 'apply', '--dry-run'], env);
    expect(dry.code).toBe(0);
    for (const k of oldAcme) expect(dry.stdout).toContain(`would delete: ${k}`);
    expect(await dataKeys(store)).toEqual(before); // a dry run changes nothing

    const applied = await cli(['retention', 'apply'], env);
    expect(applied.code, applied.stderr).toBe(0);
    for (const k of oldAcme) expect(applied.stdout).toContain(`deleted: ${k}`);
    for (const k of oldGlobex) expect(applied.stdout).toContain(`kept (legal hold): ${k}`);
    const after = await dataKeys(store);
    expect(after.sort()).toEqual([...oldGlobex, ...recent].sort());
    // One audit event for the deletion batch, through the SDK like any producer.
    const [audit] = await consumeCount(auditTopic, 1);
    expect(audit?.message.value?.toString('latin1')).toContain('audit.archive.deleted');

    // Swept objects are accounted for by the signed deletion record: the archive still verifies.
    const verified = await verifyStore(store, ARCHIVE_KEYS.publicKey);
    expect(verified).toMatchObject({ ok: true, missing: [], extra: [] });

    const released = await cli(['retention', 'release', holdId], env);
    expect(released.code).toBe(0);
    const report = await sweep(store, { signingKey: ARCHIVE_KEYS.privateKey });
    expect(report.deleted.sort()).toEqual([...oldGlobex].sort());
    expect((await dataKeys(store)).sort()).toEqual([...recent].sort());
    expect((await verifyStore(store, ARCHIVE_KEYS.publicKey)).ok).toBe(true);
  }, 240_000);
});
