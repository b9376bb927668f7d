import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { type ArchiveStore, parseObjectKey, putHold, verifyStore } from '@auditflow/archive';
import {
  collectEvidence,
  type EvidenceReport,
  type EvidenceSources,
  type Framework,
  SECTION_TITLES,
} from '@auditflow/evidence';
import { createTopicsReady, WireCodec } from '@auditflow/kafka';
import type { Processor } from '@auditflow/processor-runtime';
import { type AuditEventInput, loadCatalog, loadRetentionPolicy } from '@auditflow/schemas';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARCHIVE_KEYS,
  ARCHIVE_SIGNING_KEY_ENV,
  archivedWhen,
  testArchiver,
  testArchiveStore,
} from '../../support/archive.ts';
import { runCli } from '../../support/cli.ts';
import { consumeAll } from '../../support/consume.ts';
import { emitEvents } from '../../support/emit.ts';
import { elasticsearchClient, endpoints, kafkaClient, s3Client, unique } from '../../support/endpoints.ts';
import { sampleEvent } from '../../support/events.ts';
import { countWhen, testIndexer } from '../../support/indexer.ts';
import { createPipelineTopics, type PipelineTopics, pipelineFlags } from '../../support/pipeline-topics.ts';
import { stageProcessor } from '../../support/processors.ts';
import { startQueryApi } from '../../support/query-api.ts';

/**
 * The period's events, by design: the figures each framework reports are counted here from this
 * plan and the catalog, independently of Elasticsearch.
 */
const PLAN: {
  action: string;
  category: string;
  outcome: AuditEventInput['outcome'];
  n: number;
  changes?: boolean;
}[] = [
  { action: 'git.push', category: 'git', outcome: 'success', n: 12 },
  { action: 'git.fetch', category: 'git', outcome: 'success', n: 6 },
  { action: 'auth.login', category: 'authentication', outcome: 'failure', n: 5 },
  { action: 'auth.login', category: 'authentication', outcome: 'success', n: 3 },
  { action: 'security.config.updated', category: 'security_tool', outcome: 'success', n: 4 },
  { action: 'access.sensitive_api', category: 'sensitive_access', outcome: 'denied', n: 3 },
  // Events whose producer sent no outcome: the schema's default, `unknown`.
  { action: 'agent.flow.completed', category: 'agent', outcome: 'unknown', n: 3 },
  { action: 'git.commit', category: 'git', outcome: 'success', n: 2, changes: true },
];

const catalog = loadCatalog();
const AUDITOR = 'tok_evidence_auditor_0123456789';
const OTHER_READER = 'tok_evidence_other_0123456789';
const planned = PLAN.flatMap((p) => Array.from({ length: p.n }, () => p));
const expected = {
  events: planned.length,
  privileged: planned.filter((p) => ['high', 'critical'].includes(catalog.actions[p.action]?.severity ?? ''))
    .length,
  denials: planned.filter((p) => p.outcome === 'denied').length,
  failed_authentications: planned.filter(
    (p) => p.category === 'authentication' && (p.outcome === 'failure' || p.outcome === 'denied'),
  ).length,
  configuration_changes: planned.filter((p) => p.action.includes('.config.') || p.changes).length,
  log_reads: 0,
  personal_data_access: planned.filter((p) => catalog.actions[p.action]?.compliance.includes('GDPR:Art30'))
    .length,
};

/** The grey level of each pixel of an 8-bit greyscale or RGB PNG (what `pdftoppm -png` writes), unfiltered. */
function pngGreyRows(png: Buffer): { width: number; rows: number[][] } {
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  let at = 8;
  let width = 0;
  let height = 0;
  let bpp = 1;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString();
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8); // 8 bits per sample
      expect([0, 2]).toContain(data[9]); // greyscale or RGB
      bpp = data[9] === 2 ? 3 : 1;
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const rows: number[][] = [];
  let previous = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let x = 0; x < stride; x++) {
      const left = x >= bpp ? (line[x - bpp] as number) : 0;
      const up = previous[x] as number;
      const upLeft = x >= bpp ? (previous[x - bpp] as number) : 0;
      const p = left + up - upLeft;
      const paeth =
        Math.abs(p - left) <= Math.abs(p - up) && Math.abs(p - left) <= Math.abs(p - upLeft)
          ? left
          : Math.abs(p - up) <= Math.abs(p - upLeft)
            ? up
            : upLeft;
      const add = [0, left, up, (left + up) >> 1, paeth][filter] as number;
      line[x] = ((line[x] as number) + add) & 0xff;
    }
    const grey: number[] = [];
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let c = 0; c < bpp; c++) sum += line[x * bpp + c] as number;
      grey.push(sum / bpp);
    }
    rows.push(grey);
    previous = line;
  }
  return { width, rows };
}

describe('compliance evidence reports (real Kafka, Elasticsearch, S3 store)', () => {
  const es = elasticsearchClient();
  const running: { stop(): Promise<void> }[] = [];
  const tenant = unique('evidence').toLowerCase();
  const other = `${tenant}-other`;
  let topics: PipelineTopics;
  let auditTopic: string;
  let store: ArchiveStore;
  let indexPrefix: string;
  let ids: string[];
  let sources: EvidenceSources;
  let cliEnv: NodeJS.ProcessEnv;
  const groups = { indexer: unique('evidence-idx'), archiver: unique('evidence-arc') };
  const from = Date.now() - 60_000;
  const to = () => Date.now() + 60_000;
  const work = mkdtempSync(join(tmpdir(), 'evidence-report-'));

  const reportArgs = (framework: Framework, format: string, out: string) => [
    'report',
    '--framework',
    framework,
    '--from',
    new Date(from).toISOString(),
    '--to',
    new Date(to()).toISOString(),
    '--tenant',
    tenant,
    '--format',
    format,
    '--out',
    out,
    '--index',
    `${indexPrefix}-*`,
    ...pipelineFlags(topics, { sanitizer: `${topics.raw}.fused`, ...groups }),
  ];

  const collect = (framework: Framework): Promise<EvidenceReport> =>
    collectEvidence(sources, { framework, from, to: to(), tenant });

  beforeAll(async () => {
    topics = await createPipelineTopics('evidence');
    auditTopic = `${topics.raw}.reports`;
    const admin = kafkaClient('evidence-topics').admin();
    await admin.connect();
    await createTopicsReady(admin, [{ topic: auditTopic, numPartitions: 1 }]);
    await admin.disconnect();
    store = testArchiveStore();
    indexPrefix = `audit-events-${unique('evidence').toLowerCase()}`;
    const fused: Processor = stageProcessor('fused', topics);
    const idx = testIndexer(topics, indexPrefix, es, groups.indexer);
    const archiver = testArchiver(topics, store, { groupId: groups.archiver });
    running.push(fused, idx, archiver);
    for (const r of [fused, idx, archiver]) await r.start();

    const events = planned.map((p, i) =>
      sampleEvent(i, {
        action: p.action,
        category: p.category,
        outcome: p.outcome,
        error: null,
        tenant_id: tenant,
        changes: p.changes ? [{ field: 'branch.protection', before: 'on', after: 'off' }] : [],
      }),
    );
    // Another tenant's events, in the same topics and index: never in this tenant's figures.
    const others = Array.from({ length: 7 }, (_, i) =>
      sampleEvent(i, { tenant_id: other, outcome: 'denied' }),
    );
    ids = await emitEvents(topics.raw, [...events, ...others]);
    const total = events.length + others.length;
    expect(await countWhen(es, indexPrefix, total)).toBe(total);
    expect(await archivedWhen(store, total)).toHaveLength(total);
    // Every object digested (a roll's digest follows its objects): verify sees nothing in flight.
    for (let i = 0; i < 60; i++) {
      const v = await verifyStore(store, ARCHIVE_KEYS.publicKey);
      if (v.ok && v.inFlight.length === 0 && v.events === total) break;
      await sleep(1000);
    }

    await putHold(store, {
      tenant,
      from: new Date(from).toISOString(),
      to: new Date(to()).toISOString(),
      reason: 'case 42',
    });
    sources = {
      es,
      index: `${indexPrefix}-*`,
      store,
      publicKey: ARCHIVE_KEYS.publicKey,
      kafka: kafkaClient('evidence-reconcile'),
      codec: new WireCodec(endpoints().SCHEMA_REGISTRY_URL),
      topics: { raw: topics.raw, clean: topics.clean, dlq: topics.dlq, quarantine: topics.quarantine },
      groups: { sanitizer: `${topics.raw}.fused`, ...groups },
      rollWindowMs: 2000,
      policy: loadRetentionPolicy(),
      catalog,
    };
    cliEnv = {
      ...process.env,
      AUDITFLOW_ARCHIVE_SIGNING_KEY: ARCHIVE_SIGNING_KEY_ENV,
      AUDITFLOW_ARCHIVE_PREFIX: store.prefix,
      AUDITFLOW_ARCHIVE_ROLL_SECONDS: '2',
      AUDITFLOW_AUDIT_TOPIC: auditTopic,
      AUDITFLOW_ACTOR: 'auditor-1',
    };
  }, 240_000);

  afterAll(async () => {
    for (const r of running.reverse()) await r.stop().catch(() => {});
    await es.indices.delete({ index: `${indexPrefix}-*`, ignore_unavailable: true }).catch(() => {});
    await es.close();
  });

  it('the CLI report has the figures counted from the seeded events, is archived with its SHA-256 and audited', async () => {
    const out = join(work, 'soc2.json');
    const run = await runCli(reportArgs('soc2', 'json', out), cliEnv);
    expect(run.stderr).toMatch(/report [0-9a-f-]{36}: sha256 [0-9a-f]{64}, archived as _control\/reports\//);
    expect(run.code).toBe(0);
    const body = readFileSync(out);
    const report = JSON.parse(body.toString()) as EvidenceReport;

    expect(report.controls.map((c) => c.id)).toEqual(['CC6.1', 'CC6.2', 'CC7.2']);
    // The events without an outcome are CC6.1's only problem; nothing is lost or altered yet.
    expect(report.summary.controls).toEqual([
      { id: 'CC6.1', ok: false, problems: ['completeness'] },
      { id: 'CC6.2', ok: true, problems: [] },
      { id: 'CC7.2', ok: true, problems: [] },
    ]);
    const figures = Object.fromEntries(report.activity.figures.map((f) => [f.id, f.value]));
    expect(figures).toEqual(expected);
    expect(report.activity.byOutcome).toEqual(
      expect.arrayContaining([
        { key: 'success', count: 27 },
        { key: 'failure', count: 5 },
        { key: 'denied', count: 3 },
        { key: 'unknown', count: 3 },
      ]),
    );
    // Each figure names the query that produced it, and that query gives the same number again.
    const privileged = report.activity.figures.find((f) => f.id === 'privileged');
    const query = report.queries.find((q) => q.id === privileged?.query);
    expect(query?.kind).toBe('elasticsearch');
    if (query?.kind === 'elasticsearch') {
      expect(query.path).toBe(`/${indexPrefix}-*/_count`);
      expect((await es.count({ index: `${indexPrefix}-*`, ...query.body })).count).toBe(expected.privileged);
    }

    const unknownIds = ids.slice(0, planned.length).filter((_, i) => planned[i]?.outcome === 'unknown');
    expect(report.completeness).toMatchObject({
      total: expected.events,
      incompleteTotal: 3,
      complete: expected.events - 3,
    });
    expect(report.completeness.incomplete.map((e) => [e.id, e.missing])).toEqual(
      expect.arrayContaining(unknownIds.map((id) => [id, ['outcome']])),
    );
    expect(report.completeness.fields.find((f) => f.field === 'outcome')?.missing).toBe(3);
    expect(report.integrity).toMatchObject({ ok: true, problems: [] });
    expect(report.integrity.coverage.hoursWithoutDigest).toEqual([]);
    expect(report.integrity.coverage.hoursWithEvents).toBeGreaterThan(0);
    expect(report.loss).toMatchObject({ ok: true, gaps: [] });
    expect(report.loss.counts).toMatchObject({
      emitted: expected.events,
      indexed: expected.events,
      archived: expected.events,
    });
    // Retention: what the index and the archive hold per class, and the hold placed on the tenant.
    const sum = (k: 'indexed' | 'archivedEvents') => report.retention.classes.reduce((n, c) => n + c[k], 0);
    expect(sum('indexed')).toBe(expected.events);
    expect(sum('archivedEvents')).toBe(expected.events);
    expect(report.retention.holds).toEqual([expect.objectContaining({ tenant, reason: 'case 42' })]);

    // Archived as handed out, and audited with the same hash.
    const sha256 = createHash('sha256').update(body).digest('hex');
    const key = `_control/reports/${report.generatedAt.slice(0, 10)}/${report.id}.json`;
    expect(
      createHash('sha256')
        .update(await store.get(key))
        .digest('hex'),
    ).toBe(sha256);
    const codec = new WireCodec(endpoints().SCHEMA_REGISTRY_URL);
    const audited = await Promise.all(
      (await consumeAll(auditTopic)).map((c) => codec.decode(c.message.value)),
    );
    const event = audited.find((e) => e.target?.id === report.id);
    expect(event).toMatchObject({
      action: 'audit.report.generated',
      tenant_id: tenant,
      actor: { id: 'auditor-1' },
      target: { type: 'evidence_report', name: key },
    });
    expect(JSON.parse(event?.details ?? '{}')).toMatchObject({ framework: 'soc2', format: 'json', sha256 });
  }, 180_000);

  it('every framework reports the same figures under its own controls', async () => {
    const controls: Record<Exclude<Framework, 'soc2'>, string[]> = {
      iso27001: ['A.8.15', 'A.8.16'],
      fedramp: ['AU-2', 'AU-3', 'AU-9', 'AU-11', 'AU-12'],
      gdpr: ['Art. 30', 'Art. 32'],
    };
    for (const [framework, ids] of Object.entries(controls) as [Framework, string[]][]) {
      const report = await collect(framework);
      expect(report.controls.map((c) => c.id)).toEqual(ids);
      expect(Object.fromEntries(report.activity.figures.map((f) => [f.id, f.value]))).toEqual(expected);
      expect(report.completeness.incompleteTotal).toBe(3);
      // The catalog's tags of this framework, counted: every planned action carries the FedRAMP AU-2 tag.
      if (framework === 'fedramp')
        expect(report.activity.tagged.find((t) => t.id === 'tag:FedRAMP:AU-2')?.value).toBe(expected.events);
      if (framework === 'gdpr')
        expect(report.activity.tagged.find((t) => t.id === 'tag:GDPR:Art30')?.value).toBe(
          expected.personal_data_access,
        );
    }
  }, 120_000);

  /** The query API on this test's index and sources, auditing to `topic`. */
  async function queryApi(topic: string) {
    const api = await startQueryApi({
      name: 'evidence-api',
      es,
      topic,
      config: {
        index: `${indexPrefix}-*`,
        exportCap: 100,
        clients: [
          { id: 'auditor', token: AUDITOR, tenants: ['*'] },
          { id: 'other-reader', token: OTHER_READER, tenants: [other] },
        ],
        reportSources: sources,
      },
    });
    return {
      ...api,
      get: (path: string, token = AUDITOR) =>
        fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${token}` } }),
    };
  }

  it("GET /v1/reports answers the same report, archived and audited, within the token's tenants", async () => {
    const { producer, get: getPath, close } = await queryApi(auditTopic);
    const get = (query: string, token: string) => getPath(`/v1/reports?${query}`, token);
    const period = `from=${new Date(from).toISOString()}&to=${new Date(to()).toISOString()}`;
    try {
      const res = await get(`framework=fedramp&${period}&tenant_id=${tenant}&format=md`, AUDITOR);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/markdown/);
      const body = Buffer.from(await res.arrayBuffer());
      const sha256 = createHash('sha256').update(body).digest('hex');
      expect(res.headers.get('x-auditflow-report-sha256')).toBe(sha256);
      const key = res.headers.get('x-auditflow-report-key') as string;
      expect(
        createHash('sha256')
          .update(await store.get(key))
          .digest('hex'),
      ).toBe(sha256);
      const text = body.toString();
      // The README's sample report is this one: AUDITFLOW_SAMPLE_REPORT=docs/sample-report.md writes it.
      if (process.env.AUDITFLOW_SAMPLE_REPORT) writeFileSync(process.env.AUDITFLOW_SAMPLE_REPORT, body);
      expect(text).toContain('### AU-3 Content of audit records');
      expect(text).toContain(`| Events logged | ${expected.events} |`);
      expect(text).toContain(`| Access to personal data | ${expected.personal_data_access} |`);
      for (const title of Object.values(SECTION_TITLES)) expect(text).toContain(`## ${title}`);

      await producer.flush(30_000);
      const codec = new WireCodec(endpoints().SCHEMA_REGISTRY_URL);
      const audited = await Promise.all(
        (await consumeAll(auditTopic)).map((c) => codec.decode(c.message.value)),
      );
      const event = audited.find((e) => e.target?.id === res.headers.get('x-auditflow-report-id'));
      expect(event).toMatchObject({
        action: 'audit.report.generated',
        actor: { id: 'auditor' },
        tenant_id: tenant,
      });
      expect(JSON.parse(event?.details ?? '{}')).toMatchObject({
        framework: 'fedramp',
        format: 'md',
        sha256,
      });

      // Another tenant's token may not ask for this tenant; parameters are checked.
      expect((await get(`framework=soc2&${period}&tenant_id=${tenant}`, OTHER_READER)).status).toBe(403);
      const bad = await get(`framework=pci&${period}`, AUDITOR);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toMatch(/^framework: /);
    } finally {
      await close();
    }
  }, 120_000);

  it('the PDF renders (a non-blank page) and holds every section', async () => {
    const out = join(work, 'fedramp.pdf');
    const run = await runCli(reportArgs('fedramp', 'pdf', out), cliEnv);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    expect(readFileSync(out).subarray(0, 5).toString()).toBe('%PDF-');

    execFileSync('pdftoppm', ['-png', '-r', '50', '-f', '1', '-l', '2', out, join(work, 'page')]);
    const pages = readdirSync(work).filter((f) => f.startsWith('page') && f.endsWith('.png'));
    expect(pages.length).toBe(2);
    for (const page of pages) {
      const { width, rows } = pngGreyRows(readFileSync(join(work, page)));
      const dark = rows.reduce((n, row) => n + row.filter((v) => v < 128).length, 0);
      // Text and rules, not a blank sheet (and not a black one).
      expect(dark / (width * rows.length)).toBeGreaterThan(0.0005);
      expect(dark / (width * rows.length)).toBeLessThan(0.5);
    }

    const text = execFileSync('pdftotext', ['-layout', out, '-'], { encoding: 'utf8' });
    for (const title of [
      ...Object.values(SECTION_TITLES),
      'Contents',
      'Controls and their evidence',
      'Evidence queries',
    ])
      expect(text).toContain(title);
    for (const control of ['AU-2', 'AU-3', 'AU-9', 'AU-11', 'AU-12']) expect(text).toContain(control);
  }, 180_000);

  it('planted gaps show in their sections: a deleted document in loss accounting, an altered object in integrity', async () => {
    // A git.fetch event leaves the index.
    const lost = ids[planned.findIndex((p) => p.action === 'git.fetch')] as string;
    const hit = await es.search({ index: `${indexPrefix}-*`, query: { ids: { values: [lost] } } });
    await es.delete({ index: hit.hits.hits[0]?._index as string, id: lost, refresh: true });
    // One of the tenant's archived objects is rewritten: an outcome changed, still valid gzip NDJSON.
    const keys = (await store.list('tenant='))
      .map((o) => o.key)
      .filter((k) => parseObjectKey(k)?.tenant === tenant);
    const altered = keys[0] as string;
    const original = gunzipSync(await store.get(altered)).toString();
    const forged = original.replace(/"outcome":"(success|unknown)"/, '"outcome":"failure"');
    expect(forged).not.toBe(original);
    await s3Client().send(
      new PutObjectCommand({
        Bucket: endpoints().S3_BUCKET,
        Key: store.prefix + altered,
        Body: gzipSync(forged),
      }),
    );

    const report = await collect('iso27001');
    expect(report.summary.controls).toEqual([
      { id: 'A.8.15', ok: false, problems: ['completeness', 'integrity'] },
      { id: 'A.8.16', ok: false, problems: ['loss'] },
    ]);
    expect(report.loss.ok).toBe(false);
    expect(report.loss.gaps).toEqual([expect.objectContaining({ stage: 'index', id: lost })]);
    expect(report.integrity.ok).toBe(false);
    expect(report.integrity.problems).toContainEqual({ kind: 'altered', key: altered });
    expect(report.activity.figures.find((f) => f.id === 'events')?.value).toBe(expected.events - 1);
    // The events without an outcome are still listed under AU-3, not elsewhere.
    expect(report.completeness.incompleteTotal).toBe(3);
    expect(report.completeness.incomplete.every((e) => e.missing.join() === 'outcome')).toBe(true);
  }, 120_000);

  it("the log's own reads count: an export and a report through the query API, back through the pipeline", async () => {
    // The API audits into the pipeline's raw topic this time, as deployed: its records are indexed.
    const { get, close } = await queryApi(topics.raw);
    const period = `from=${new Date(from).toISOString()}&to=${new Date(to()).toISOString()}`;
    try {
      const exported = await get(`/v1/export?tenant_id=${tenant}&format=ndjson&limit=5`);
      expect(exported.status).toBe(200);
      await exported.text();
      expect((await get(`/v1/reports?framework=soc2&${period}&tenant_id=${tenant}`)).status).toBe(200);
    } finally {
      await close();
    }
    // One document was deleted above; the export's two records and the report's one come in.
    const total = planned.length + 7 - 1 + 3;
    expect(await countWhen(es, indexPrefix, total)).toBe(total);
    const report = await collect('soc2');
    const reads = report.activity.figures.find((f) => f.id === 'log_reads');
    expect(reads?.value).toBe(3);
    expect(reads?.breakdown).toEqual(
      expect.arrayContaining([
        { key: 'audit.log.export_started', count: 1 },
        { key: 'audit.log.exported', count: 1 },
        { key: 'audit.report.generated', count: 1 },
      ]),
    );
  }, 120_000);
});
