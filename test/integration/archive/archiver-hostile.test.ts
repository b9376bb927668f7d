import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseObjectKey, tenantSegment, verifyStore } from '@auditflow/archive';
import type { AuditEvent } from '@auditflow/schemas';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ARCHIVE_KEYS,
  ARCHIVE_SIGNING_KEY_ENV,
  archivedWhen,
  testArchiver,
  testArchiveStore,
} from '../../support/archive.ts';
import { consumeAll } from '../../support/consume.ts';
import { dedicatedS3 } from '../../support/dedicated-servers.ts';
import { unique } from '../../support/endpoints.ts';
import { deadLettered, writeRecords } from '../../support/indexer.ts';
import { createPipelineTopics } from '../../support/pipeline-topics.ts';
import { cleanRecord } from '../../support/records.ts';

const DAY = 86_400_000;
/** 128 CJK characters: within the gateway's bounds, 1,152 bytes once percent-encoded. */
const CJK_TENANT = `租户${'测'.repeat(126)}`;

const expectOnce = (archived: { event: { id: string } }[], events: readonly AuditEvent[]) => {
  const seen = archived.map((a) => a.event.id);
  expect(seen.length).toBe(new Set(seen).size);
  expect(new Set(seen)).toEqual(new Set(events.map((e) => e.id)));
};

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

describe('archiver: hostile records never stop it (real Kafka and S3 store)', () => {
  it('dead-letters records it can never archive, with their reasons, and archives every good one after them', async () => {
    const topics = await createPipelineTopics('arch-poison');
    const store = testArchiveStore();
    const good = [
      ...Array.from({ length: 20 }, (_, i) => cleanRecord({ tenant_id: i % 2 ? 'acme' : 'globex' })),
      cleanRecord({ tenant_id: CJK_TENANT }),
      cleanRecord({ tenant_id: '../../etc/\u001b[31mpasswd\u0000' }),
      cleanRecord({ tenant_id: 'acme', occurred_at: 4_000_000_000_000_000 }), // filed under its receipt hour
      cleanRecord({ tenant_id: 'globex', occurred_at: Date.now() - 400 * DAY }),
      ...Array.from({ length: 20 }, (_, i) => cleanRecord({ tenant_id: i % 2 ? 'acme' : 'globex' })),
    ];
    const receivedAt = Date.now() - 1500;
    good[0] = cleanRecord({
      tenant_id: 'acme',
      ingest: { via: 'sdk', client_id: 'producer-7', received_at: receivedAt },
    });
    const badDays = cleanRecord({ tenant_id: 'acme' }, { retention_days: 2_147_483_647 });
    const badClass = cleanRecord({ tenant_id: 'globex' }, { retention_class: 'x'.repeat(300) });
    await writeRecords(topics.clean, [
      ...good.slice(0, 10).map((event) => ({ event, partition: 0 })),
      { event: good[9] as AuditEvent, partition: 0 }, // a producer retry: archived once
      { value: Buffer.from('not avro at all'), partition: 0 },
      ...good.slice(10, 22).map((event) => ({ event, partition: 0 })),
      { event: badDays, partition: 0 },
      ...good.slice(22, 30).map((event) => ({ event, partition: 0 })),
      { event: badClass, partition: 0 },
      ...good.slice(30).map((event) => ({ event, partition: 0 })),
    ]);
    const archiver = testArchiver(topics, store, { roll: { maxAgeMs: 1000, maxBytes: 256 * 1024 } });
    await archiver.start();
    try {
      const archived = await archivedWhen(store, good.length);
      expectOnce(archived, good);
      const dead = await deadLettered(topics.dlq, 3);
      expect(dead.map((d) => [d.stage, d.reason, d.id]).sort()).toEqual(
        [
          ['archiver', 'wrong_magic_byte', undefined],
          ['archiver', 'invalid_value', badDays.id],
          ['archiver', 'invalid_value', badClass.id],
        ].sort(),
      );
      expect(dead.find((d) => d.id === badDays.id)?.error).toContain('retention_days');
      expect(dead.find((d) => d.id === badClass.id)?.error).toContain('retention_class');

      // The archive's JSON form carries the origin stamp.
      expect(archived.find((a) => a.event.id === good[0]?.id)?.event.ingest).toEqual({
        via: 'sdk',
        client_id: 'producer-7',
        received_at: new Date(receivedAt).toISOString(),
      });
      const keyOf = (id: string) => archived.find((a) => a.event.id === id)?.key as string;
      const cjkKey = keyOf(good[20]?.id as string);
      expect(parseObjectKey(cjkKey)?.segment).toBe(tenantSegment(CJK_TENANT));
      expect(Buffer.byteLength(store.prefix + cjkKey)).toBeLessThanOrEqual(1024);
      expect(keyOf(good[21]?.id as string)).toMatch(/^tenant=\.\.%2F\.\.%2Fetc%2F%1B%5B31mpasswd%00\//);
      // Far-future and ancient events are filed under the hour they were received.
      const thisHour = new Date().toISOString().slice(0, 13).replace('T', '/hour=');
      for (const i of [22, 23]) expect(keyOf(good[i]?.id as string)).toContain(`/date=${thisHour}/`);
      expect(await verifyStore(store, ARCHIVE_KEYS.publicKey)).toMatchObject({
        ok: true,
        events: good.length,
      });
      const scoped = await verifyStore(store, ARCHIVE_KEYS.publicKey, { tenant: CJK_TENANT });
      expect(scoped).toMatchObject({ ok: true, events: 1 });
    } finally {
      await archiver.stop();
    }
  }, 180_000);

  it('with a 128-character CJK tenant on the clean topic keeps archiving every tenant, and stops on SIGTERM within its drain timeout while the store is down', async () => {
    const s3 = dedicatedS3(19010);
    await s3.start();
    try {
      const credentials = await s3.client().config.credentials();
      const topics = await createPipelineTopics('arch-sigterm');
      const prefix = `${unique('archive-sigterm')}/`;
      const store = testArchiveStore(prefix, s3.client());
      const groupId = unique('archiver-sigterm');
      const drainTimeoutMs = 5000;
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
            JSON.stringify({
              drainTimeoutMs,
              maxBackoffMs: 2000,
              roll: { maxAgeMs: 1000, maxBytes: 128 * 1024 },
            }),
          ],
          {
            stdio: ['ignore', 'pipe', 'inherit'],
            env: {
              ...process.env,
              AUDITFLOW_ARCHIVE_SIGNING_KEY: ARCHIVE_SIGNING_KEY_ENV,
              S3_ENDPOINT: s3.endpoint,
              AWS_ACCESS_KEY_ID: credentials.accessKeyId,
              AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
            },
          },
        );
        children.push(child);
        await new Promise<void>((resolve, reject) => {
          child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('started') && resolve());
          child.once('exit', (code) => reject(new Error(`archiver exited with ${code} before it started`)));
        });
        return child;
      };
      const batch = (n: number) =>
        Array.from({ length: n }, (_, i) =>
          cleanRecord({ tenant_id: ['acme', 'globex', CJK_TENANT][i % 3] as string }),
        );

      let child = await start();
      const first = [cleanRecord({ tenant_id: CJK_TENANT }), ...batch(60)];
      await writeRecords(
        topics.clean,
        first.map((event, i) => ({ event, partition: i % 3 })),
      );
      expectOnce(await archivedWhen(store, first.length), first);

      await s3.stop(); // the store goes away: every roll now fails retriably
      const second = batch(90);
      await writeRecords(
        topics.clean,
        second.map((event, i) => ({ event, partition: i % 3 })),
      );
      await sleep(6000); // rolls are due and backing off
      const signalled = Date.now();
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      const stopMs = Date.now() - signalled;
      expect(code).toBe(0);
      expect(stopMs).toBeLessThan(drainTimeoutMs + 10_000); // drain timeout, then disconnect
      console.log(
        `archiver stopped ${stopMs} ms after SIGTERM with the store down (drain timeout ${drainTimeoutMs} ms)`,
      );

      await s3.start();
      child = await start();
      const all = [...first, ...second];
      const archived = await archivedWhen(store, all.length, 120_000);
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      expectOnce(archived, all);
      expect(await verifyStore(store, ARCHIVE_KEYS.publicKey)).toMatchObject({
        ok: true,
        events: all.length,
      });
      expect(await consumeAll(topics.dlq)).toHaveLength(0);
    } finally {
      await s3.stop();
    }
  }, 300_000);
});
