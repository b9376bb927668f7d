import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ArchiveStore, DIGEST_PREFIX, parseObjectKey, verifyStore } from '@auditflow/archive';
import { GetObjectRetentionCommand } from '@aws-sdk/client-s3';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ARCHIVE_KEYS,
  ARCHIVE_SIGNING_KEY_ENV,
  archivedWhen,
  testArchiver,
  testArchiveStore,
} from '../../support/archive.ts';
import { dedicatedS3 } from '../../support/dedicated-servers.ts';
import { emitEvents } from '../../support/emit.ts';
import { s3Client, unique } from '../../support/endpoints.ts';
import { sampleEvent } from '../../support/events.ts';
import { createPipelineTopics } from '../../support/pipeline-topics.ts';

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Emits `count` events (tenants alternate) onto the topic, pausing 50 ms every `pauseEvery`. */
function emit(topic: string, count: number, from = 0, pauseEvery = 0): Promise<string[]> {
  const events = Array.from({ length: count }, (_, k) =>
    sampleEvent(from + k, { tenant_id: (from + k) % 2 === 0 ? 'acme' : 'globex' }),
  );
  return emitEvents(topic, events, pauseEvery > 0 ? { perStep: pauseEvery, stepMs: 50 } : undefined);
}

function expectExactlyOnce(archived: { event: { id: string } }[], ids: readonly string[]): void {
  const seen = archived.map((a) => a.event.id);
  expect(new Set(seen).size).toBe(seen.length); // no duplicates
  expect(new Set(seen)).toEqual(new Set(ids)); // nothing lost, nothing extra
}

async function dataKeys(store: ArchiveStore): Promise<string[]> {
  return (await store.list('tenant=')).map((o) => o.key);
}

describe('archiver (real Kafka and S3 store)', () => {
  it('archives every event exactly once in tenant/hour objects with signed, chained digests and Object Lock', async () => {
    const topics = await createPipelineTopics('arch-basic');
    const store = testArchiveStore();
    const registry = new Registry();
    const archiver = testArchiver(topics, store, {}, { registry });
    await archiver.start();
    const ids = await emit(topics.clean, 900);
    const archived = await archivedWhen(store, ids.length);
    await archiver.stop();
    expectExactlyOnce(archived, ids);

    // The digest age gauge dates the newest digest the store holds (the alert's input), not the
    // archiver's start.
    const age = (await registry.getSingleMetric('auditflow_archiver_digest_age_seconds')?.get())?.values[0]
      ?.value;
    const readAt = Date.now();
    const newest = Math.max(...(await store.list(DIGEST_PREFIX)).map((o) => o.lastModified));
    expect(age).toBeGreaterThanOrEqual(0);
    expect(Math.abs(readAt - (age ?? 0) * 1000 - newest)).toBeLessThan(3_000);

    for (const { key, event } of archived) {
      const at = parseObjectKey(key);
      expect(at?.tenant).toBe(event.tenant_id);
      expect(at?.topic).toBe(topics.clean);
    }
    const keys = await dataKeys(store);
    expect(keys.length).toBeGreaterThan(3); // rolled by size: 256 KB of ~1 KB events
    const retention = await s3Client().send(
      new GetObjectRetentionCommand({ Bucket: store.bucket, Key: `${store.prefix}${keys[0]}` }),
    );
    expect(retention.Retention?.Mode).toBe('GOVERNANCE');
    expect(retention.Retention?.RetainUntilDate?.getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);

    const report = await verifyStore(store, ARCHIVE_KEYS.publicKey);
    expect(report).toMatchObject({
      ok: true,
      events: 900,
      missing: [],
      altered: [],
      extra: [],
      brokenChain: [],
    });
    expect(report.digests).toBeGreaterThanOrEqual(3); // one chain per partition
  });

  it('loses and duplicates nothing when the archiver is SIGKILLed mid-upload and restarted', async () => {
    const topics = await createPipelineTopics('arch-kill');
    const prefix = `${unique('archive-kill')}/`;
    const store = testArchiveStore(prefix);
    const groupId = unique('archiver-kill');
    const start = async (): Promise<ChildProcess> => {
      const child = spawn(
        'node',
        [
          '--import',
          'tsx',
          '--conditions=auditflow-source',
          'test/support/archiver-child.ts',
          JSON.stringify(topics),
          prefix,
          groupId,
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...process.env, AUDITFLOW_ARCHIVE_SIGNING_KEY: ARCHIVE_SIGNING_KEY_ENV },
        },
      );
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('started') && resolve());
        child.once('exit', (code) => reject(new Error(`archiver exited with ${code} before it started`)));
      });
      return child;
    };
    let child = await start();
    const emitting = emit(topics.clean, 4000, 0, 200);
    // Kill it while it writes: as soon as objects appear, and again a little later.
    for (let kills = 0; kills < 2; kills++) {
      const before = (await dataKeys(store)).length;
      while ((await dataKeys(store)).length <= before) await sleep(100);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      child = await start();
    }
    const ids = await emitting;
    const archived = await archivedWhen(store, ids.length, 120_000);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    expectExactlyOnce(archived, ids);
    expect(await verifyStore(store, ARCHIVE_KEYS.publicKey)).toMatchObject({ ok: true, events: 4000 });
  }, 240_000);

  it('loses nothing while the S3 store is down mid-stream, then catches up', async () => {
    const s3 = dedicatedS3(19000);
    await s3.start();
    try {
      const topics = await createPipelineTopics('arch-s3down');
      const store = testArchiveStore(`${unique('archive-down')}/`, s3.client());
      const archiver = testArchiver(topics, store, { roll: { maxAgeMs: 1000, maxBytes: 128 * 1024 } });
      await archiver.start();
      const first = await emit(topics.clean, 600);
      while ((await dataKeys(store)).length === 0) await sleep(200);
      await s3.stop();
      const second = await emit(topics.clean, 900, 600); // all of it arrives while S3 is down
      await sleep(5000);
      await s3.start();
      const ids = [...first, ...second];
      const archived = await archivedWhen(store, ids.length, 120_000);
      await archiver.stop();
      expectExactlyOnce(archived, ids);
      expect(await verifyStore(store, ARCHIVE_KEYS.publicKey)).toMatchObject({
        ok: true,
        events: ids.length,
      });
    } finally {
      await s3.stop();
    }
  }, 240_000);
});
