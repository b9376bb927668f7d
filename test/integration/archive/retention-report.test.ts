import { randomUUID } from 'node:crypto';
import {
  type ArchiveStore,
  markHold,
  parseObjectKey,
  putHold,
  type RetentionReport,
  sweep,
} from '@auditflow/archive';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARCHIVE_KEYS,
  ARCHIVE_SIGNING_KEY_ENV,
  archivedWhen,
  testArchiver,
  testArchiveStore,
} from '../../support/archive.ts';
import { runCli } from '../../support/cli.ts';
import { writeRecords } from '../../support/indexer.ts';
import { createPipelineTopics } from '../../support/pipeline-topics.ts';
import { cleanRecord } from '../../support/records.ts';

const DAY = 86_400_000;

/**
 * Seeds an archive through the archiver's own writer, one tenant per case so each tenant's
 * objects have one class: acme (standard, recent), initech (extended, recent), globex (short,
 * 100 days old: expired, swept), umbrella (standard, 200 days old, under a legal hold).
 */
const SEED = {
  acme: { count: 20, age: 60_000, retention: { retention_class: 'standard', retention_days: 365 } },
  initech: { count: 12, age: 60_000, retention: { retention_class: 'extended', retention_days: 1095 } },
  globex: { count: 8, age: 100 * DAY, retention: { retention_class: 'short', retention_days: 90 } },
  umbrella: { count: 6, age: 200 * DAY, retention: { retention_class: 'standard', retention_days: 365 } },
} as const;

describe('retention report (real Kafka and S3 store, the archiver writing)', () => {
  const running: { stop(): Promise<void> }[] = [];
  let store: ArchiveStore;
  let env: Record<string, string>;
  const keysOf = new Map<string, string[]>();
  let swept: string[];
  let umbrellaOldest: number;
  const now = Date.now();

  beforeAll(async () => {
    const topics = await createPipelineTopics('retention-report');
    store = testArchiveStore();
    env = { AUDITFLOW_ARCHIVE_PREFIX: store.prefix, AUDITFLOW_ARCHIVE_SIGNING_KEY: ARCHIVE_SIGNING_KEY_ENV };
    const archiver = testArchiver(topics, store);
    running.push(archiver);
    await archiver.start();
    const records = Object.entries(SEED).flatMap(([tenant, seed]) =>
      Array.from({ length: seed.count }, (_, i) => {
        // Received then: an event archived long ago (its record time and its own time agree).
        const at = now - seed.age + i * 1000;
        return {
          event: cleanRecord({ id: randomUUID(), tenant_id: tenant, occurred_at: at }, seed.retention),
          timestamp: at,
        };
      }),
    );
    umbrellaOldest = now - SEED.umbrella.age;
    await writeRecords(topics.clean, records);
    const total = Object.values(SEED).reduce((n, s) => n + s.count, 0);
    expect(await archivedWhen(store, total)).toHaveLength(total);
    await archiver.stop();
    for (const { key } of await store.list('tenant=')) {
      const tenant = parseObjectKey(key)?.tenant;
      if (tenant) keysOf.set(tenant, [...(keysOf.get(tenant) ?? []), key]);
    }
    const hold = await putHold(store, {
      tenant: 'umbrella',
      from: new Date(now - 201 * DAY).toISOString(),
      to: new Date(now - 199 * DAY).toISOString(),
      reason: 'case 4711',
    });
    await markHold(store, hold, true);
    swept = (await sweep(store, { signingKey: ARCHIVE_KEYS.privateKey })).deleted;
  }, 240_000);

  afterAll(async () => {
    for (const r of running) await r.stop().catch(() => {});
  });

  const report = async (args: string[] = []): Promise<RetentionReport> => {
    const run = await runCli(['retention', 'report', '--json', ...args], { ...process.env, ...env });
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as RetentionReport;
  };
  const objects = (...tenants: string[]) => tenants.reduce((n, t) => n + (keysOf.get(t)?.length ?? 0), 0);

  it('counts per class the objects and events the archiver wrote, the oldest event, locks, holds and the sweep', async () => {
    expect(swept.sort()).toEqual([...(keysOf.get('globex') ?? [])].sort());
    const got = await report();
    const byName = new Map(got.classes.map((c) => [c.name, c]));
    const standard = byName.get('standard');
    expect(standard).toMatchObject({
      objects: objects('acme', 'umbrella'),
      events: SEED.acme.count + SEED.umbrella.count,
      locked: { GOVERNANCE: objects('acme', 'umbrella'), COMPLIANCE: 0 },
      unlocked: 0,
      legalHoldObjects: objects('umbrella'),
      pastRetention: 0,
      policy: { days: 365, isDefault: true },
    });
    expect(standard?.oldestEvent?.occurredAt).toBe(new Date(umbrellaOldest).toISOString());
    expect(byName.get('extended')).toMatchObject({
      objects: objects('initech'),
      events: SEED.initech.count,
      locked: { GOVERNANCE: objects('initech'), COMPLIANCE: 0 },
      policy: { days: 1095 },
    });
    // Swept: nothing of the short class is held any more.
    expect(byName.get('short')).toMatchObject({ objects: 0, events: 0 });
    expect(got.totals).toMatchObject({
      objects: objects('acme', 'initech', 'umbrella'),
      events: SEED.acme.count + SEED.initech.count + SEED.umbrella.count,
      deletedInPeriod: objects('globex'),
    });
    expect(got.sweeps).toHaveLength(1);
    expect(got.sweeps[0]).toMatchObject({ objects: objects('globex'), signature: 'valid' });
    expect(got.legalHolds.map((h) => [h.tenant, h.reason])).toEqual([['umbrella', 'case 4711']]);
    expect(got.classesInferred).toBe(0);
    expect(got.objectLock.enabled).toBe(true);
  }, 120_000);

  it('limits to one tenant, and to a period for sweeps and holds', async () => {
    const acme = await report(['--tenant', 'acme']);
    expect(acme.totals).toMatchObject({
      objects: objects('acme'),
      events: SEED.acme.count,
      deletedInPeriod: 0,
    });
    expect(acme.legalHolds).toEqual([]);
    expect(acme.sweeps).toEqual([]);
    const globex = await report(['--tenant', 'globex']);
    expect(globex.totals).toMatchObject({ objects: 0, events: 0, deletedInPeriod: objects('globex') });
    // A period that ended before the sweep and the hold's range has no sweep, and no hold.
    const before = await report([
      '--from',
      new Date(now - 199 * DAY + DAY).toISOString(),
      '--to',
      new Date(now - 10 * DAY).toISOString(),
    ]);
    expect(before.sweeps).toEqual([]);
    expect(before.legalHolds).toEqual([]);
  }, 120_000);

  it('prints a readable table', async () => {
    const run = await runCli(['retention', 'report'], { ...process.env, ...env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^class\s+days\s+objects\s+events\s+oldest event/m);
    expect(run.stdout).toMatch(
      new RegExp(
        `^standard \\(default\\)\\s+365\\s+${objects('acme', 'umbrella')}\\s+${SEED.acme.count + SEED.umbrella.count}\\s`,
        'm',
      ),
    );
    expect(run.stdout).toContain('sweeps in the period: 1');
    expect(run.stdout).toContain('case 4711');
  }, 60_000);
});
