import { setTimeout as sleep } from 'node:timers/promises';
import type { Archiver } from '@auditflow/archiver';
import type { Indexer } from '@auditflow/indexer';
import type { Processor } from '@auditflow/processor-runtime';
import { pseudonymise } from '@auditflow/redaction';
import type { AuditEventInput } from '@auditflow/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archivedWhen, testArchiver, testArchiveStore } from '../../support/archive.ts';
import { runCli } from '../../support/cli.ts';
import { emitEvents } from '../../support/emit.ts';
import { elasticsearchClient, endpoints, unique } from '../../support/endpoints.ts';
import { countWhen, testIndexer } from '../../support/indexer.ts';
import { createPipelineTopics, type PipelineTopics } from '../../support/pipeline-topics.ts';
import { PSEUDONYM_KEY, stageProcessor } from '../../support/processors.ts';
import { startQueryApi } from '../../support/query-api.ts';

/**
 * Subject erasure (SPEC G1) through the real pipeline: events with PII go through the real
 * sanitizer (fused stage) into a test-unique index and archive folder; `auditflow erase` and
 * `POST /v1/erasures` erase one person each; the erasures' own audit events come back through
 * the same pipeline into the index.
 */
const run = unique('s').slice(-6);
const ALICE = {
  id: `alice-${run}`,
  name: 'Alice Liddell',
  email: `alice.${run}@example.org`,
  ip: '198.51.100.23',
  user_agent: `Mozilla/5.0 (AliceBook ${run})`,
  session_id: `sess-alice-${run}`,
};
const PHONE = '+1-555-0100';
const p = (raw: string) => pseudonymise(PSEUDONYM_KEY, raw);

const event = (overrides: Partial<AuditEventInput>): AuditEventInput => ({
  action: 'auth.login',
  actor: { type: 'user', id: 'x' },
  outcome: 'success',
  tenant_id: 'acme',
  service: { name: 'erasure-test' },
  ...overrides,
});

const aliceActs = (i: number, tenant = 'acme') =>
  event({
    action: i % 2 ? 'auth.login' : 'git.push',
    actor: { type: 'user', ...ALICE },
    target: { type: 'repository', id: `repo-${i}`, name: 'infra' },
    tenant_id: tenant,
    details: { note: `ticket for ${ALICE.id}, call back on ${PHONE}`, step: i },
  });
const adminActsOnAlice = (i: number) =>
  event({
    action: 'access.role.changed',
    actor: { type: 'user', id: `admin-${run}`, name: 'Ada Admin', email: 'ada@example.org', ip: '192.0.2.9' },
    target: { type: 'user', id: ALICE.id, name: ALICE.name },
    details: { step: i },
  });
const bobActs = (i: number) =>
  event({
    action: 'git.push',
    actor: { type: 'user', id: `bob-${run}`, name: 'Bob', email: 'bob@example.org', ip: '192.0.2.44' },
    target: { type: 'repository', id: `repo-${i}` },
    details: { note: 'bob pushed', step: i },
  });
const CAROL = `carol-${run}`;
const carolActs = (i: number) =>
  event({
    actor: { type: 'user', id: CAROL, name: 'Carol', email: 'carol@example.org' },
    details: { step: i },
  });

const EVENTS = [
  ...Array.from({ length: 6 }, (_, i) => aliceActs(i)),
  ...Array.from({ length: 2 }, (_, i) => adminActsOnAlice(i)),
  ...Array.from({ length: 6 }, (_, i) => bobActs(i)),
  // The same person id in another tenant: an erasure is per tenant.
  ...Array.from({ length: 2 }, (_, i) => aliceActs(10 + i, 'globex')),
  ...Array.from({ length: 3 }, (_, i) => carolActs(i)),
];

type Hit = { _id: string; _seq_no?: number; _source?: Record<string, unknown> };

describe('subject erasure (real Kafka, sanitizer, Elasticsearch, S3 store)', () => {
  const es = elasticsearchClient();
  const running: { stop(): Promise<void> }[] = [];
  const store = testArchiveStore();
  const prefix = `audit-events-${unique('erasure').toLowerCase()}`;
  const index = `${prefix}-*`;
  let topics: PipelineTopics;

  beforeAll(async () => {
    topics = await createPipelineTopics('erasure');
    const fused: Processor = stageProcessor('fused', topics);
    const indexer: Indexer = testIndexer(topics, prefix, es);
    const archiver: Archiver = testArchiver(topics, store);
    running.push(fused, indexer, archiver);
    for (const r of [fused, indexer, archiver]) await r.start();
    await emitEvents(topics.raw, EVENTS);
    expect(await countWhen(es, prefix, EVENTS.length)).toBe(EVENTS.length);
    expect(await archivedWhen(store, EVENTS.length)).toHaveLength(EVENTS.length);
  }, 240_000);

  afterAll(async () => {
    for (const r of running.reverse()) await r.stop().catch(() => {});
    await es.indices.delete({ index, ignore_unavailable: true }).catch(() => {});
    await es.close();
  });

  /** The CLI with this run's sanitizer key, auditing to this test's raw topic. */
  const cliEnv = () => ({
    ...process.env,
    AUDITFLOW_PSEUDONYM_KEY: PSEUDONYM_KEY.toString('hex'),
    AUDITFLOW_AUDIT_TOPIC: topics.raw,
    ELASTICSEARCH_URL: endpoints().ELASTICSEARCH_URL,
  });
  /** `auditflow erase` of Alice in acme over this test's index, as JSON. */
  const eraseAlice = (reason: string, ...more: string[]) =>
    runCli(
      [
        'erase',
        '--subject',
        ALICE.id,
        '--tenant',
        'acme',
        '--reason',
        reason,
        '--index',
        index,
        '--json',
        ...more,
      ],
      cliEnv(),
    );
  const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) as string);

  const all = async (): Promise<Hit[]> => {
    await es.indices.refresh({ index });
    const res = await es.search({ index, size: 1000, seq_no_primary_term: true, query: { match_all: {} } });
    return res.hits.hits as Hit[];
  };
  const count = async (query: object) => {
    await es.indices.refresh({ index });
    return (await es.count({ index, query })).count;
  };
  const inAcme = (query: object) => ({ bool: { filter: [{ term: { 'organization.id': 'acme' } }, query] } });
  /** Any mapped field holding the value (keywords, the flattened details, IPs). */
  const anywhere = (value: string) => inAcme({ multi_match: { query: value, fields: ['*'], lenient: true } });
  const tenantOf = (h: Hit) => (h._source?.organization as { id?: string } | undefined)?.id;
  const isAlices = (h: Hit) => {
    const s = h._source as { user?: { id?: string }; audit?: { target?: { id?: string } } };
    return tenantOf(h) === 'acme' && (s.user?.id === ALICE.id || s.audit?.target?.id === ALICE.id);
  };
  const auditEvents = async (subject: string, expected: number) => {
    const query = {
      bool: {
        filter: [
          { term: { 'event.action': 'audit.subject.erased' } },
          { term: { 'audit.target.id': subject } },
        ],
      },
    };
    const deadline = Date.now() + 90_000;
    let hits: Hit[] = [];
    while (Date.now() < deadline) {
      await es.indices.refresh({ index });
      hits = (await es.search({ index, query })).hits.hits as Hit[];
      if (hits.length >= expected) break;
      await sleep(500);
    }
    return hits;
  };

  it("erases a subject's PII from the index, keeps their events findable by pseudonym, and leaves everyone else byte for byte", async () => {
    const before = await all();
    const others = new Map(before.filter((h) => !isAlices(h)).map((h) => [h._id, h]));
    const alices = before.filter(isAlices);
    expect(alices).toHaveLength(8);
    // The index holds her raw id, user agent, session, phone and name (as a target) before: the checks below can fail.
    for (const raw of [ALICE.id, ALICE.user_agent, ALICE.session_id])
      expect(await count(anywhere(raw)), raw).toBeGreaterThan(0);
    const rawInAlices = JSON.stringify(alices.map((h) => h._source));
    for (const raw of [ALICE.id, ALICE.name, ALICE.user_agent, ALICE.session_id, PHONE])
      expect(rawInAlices).toContain(raw);
    const byEmailPseudonym = inAcme({ term: { 'user.email': p(ALICE.email) } });
    expect(await count(byEmailPseudonym)).toBe(6);

    const preview = await eraseAlice('preview', '--dry-run');
    expect(preview.code, preview.stderr).toBe(0);
    expect(lastJson(preview.stdout)).toMatchObject({
      matched: 8,
      asActor: 6,
      asTarget: 2,
      pseudonym: p(ALICE.id),
    });
    expect(await count(inAcme({ term: { 'user.id': ALICE.id } }))).toBe(6);

    const erased = await eraseAlice(`GDPR Art. 17 request 42 from ${ALICE.id}`, '--identifier', PHONE);
    expect(erased.code, erased.stderr).toBe(0);
    const result = lastJson(erased.stdout);
    expect(result).toMatchObject({ matched: 8, erased: 8, asActor: 6, asTarget: 2, pseudonym: p(ALICE.id) });

    const after = await all();
    const acme = after.filter((h) => tenantOf(h) === 'acme');
    const text = JSON.stringify(acme.map((h) => h._source));
    for (const raw of [
      ALICE.id,
      ALICE.name,
      ALICE.email,
      ALICE.ip,
      ALICE.user_agent,
      ALICE.session_id,
      PHONE,
    ]) {
      expect(text, raw).not.toContain(raw);
      expect(await count(anywhere(raw)), raw).toBe(0);
    }
    // Every event is still there, found by the pseudonyms: of the id (new) and of the e-mail (the sanitizer's).
    expect(await count(inAcme({ term: { 'user.id': p(ALICE.id) } }))).toBe(6);
    // (the erasure's own audit event names her pseudonym as its target too: not one of her events)
    expect(
      await count(
        inAcme({
          bool: {
            filter: [{ term: { 'audit.target.id': p(ALICE.id) } }, { term: { 'audit.target.type': 'user' } }],
          },
        }),
      ),
    ).toBe(2);
    expect(await count(byEmailPseudonym)).toBe(6);
    for (const h of alices) {
      const now = after.find((a) => a._id === h._id)?._source as Record<
        string,
        { action?: string; outcome?: string }
      >;
      const was = h._source as Record<string, { action?: string; outcome?: string }>;
      expect(now?.event?.action).toBe(was.event?.action);
      expect(now?.['@timestamp']).toBe(h._source?.['@timestamp']);
      expect(now?.event?.outcome).toBe(was.event?.outcome);
    }
    // Everyone else, the other tenant's copy of the same id included, is untouched: same bytes, same version.
    for (const [id, h] of others) {
      const now = after.find((a) => a._id === id);
      expect(JSON.stringify(now?._source), id).toBe(JSON.stringify(h._source));
      expect(now?._seq_no, id).toBe(h._seq_no);
    }

    // The erasure's audit event came back through the pipeline, naming her by pseudonym only.
    const [audit] = await auditEvents(p(ALICE.id), 1);
    const source = audit?._source as {
      audit: { details: Record<string, unknown> };
      organization: { id: string };
    };
    expect(source.organization.id).toBe('acme');
    expect(source.audit.details).toMatchObject({
      events_changed: 8,
      as_actor: 6,
      as_target: 2,
      requested_via: 'cli',
    });
    expect(source.audit.details.reason).toBe(`GDPR Art. 17 request 42 from ${p(ALICE.id)}`);
    expect(JSON.stringify(source)).not.toContain(ALICE.id);

    // Run again: nothing left to erase (an interrupted erasure is finished the same way).
    const again = await eraseAlice('repeat');
    expect(again.code, again.stderr).toBe(0);
    expect(lastJson(again.stdout)).toMatchObject({
      matched: 0,
      erased: 0,
    });
  }, 180_000);

  it('archives no raw value of a field tagged pii (pseudonymised or masked by the sanitizer), so the archive needs no rewrite', async () => {
    const archived = (await archivedWhen(store, EVENTS.length)).map((a) => a.event);
    const alices = archived.filter((e) => e.actor.id === ALICE.id);
    expect(alices).toHaveLength(8);
    for (const e of alices) {
      expect(e.actor.name).toBe(p(ALICE.name));
      expect(e.actor.email).toBe(p(ALICE.email));
      expect(e.actor.ip).toBe('198.51.100.0');
    }
    const text = JSON.stringify(archived);
    expect(text).not.toContain(ALICE.email);
    expect(text).not.toContain(ALICE.ip);
    expect(archived.every((e) => e.actor.name === null || e.actor.name.startsWith('pseu_'))).toBe(true);
  }, 120_000);

  it('erases through POST /v1/erasures for a client of every tenant only, audited like the CLI', async () => {
    const {
      url: base,
      producer,
      close,
    } = await startQueryApi({
      name: 'erasure-api',
      es,
      topic: topics.raw,
      config: {
        index,
        exportCap: 100,
        pseudonymKey: PSEUDONYM_KEY,
        clients: [
          { id: 'acme-analyst', token: 'tok_acme_reader_0123456789', tenants: ['acme'] },
          { id: 'operator', token: 'tok_operator_0123456789ab', tenants: ['*'] },
        ],
      },
    });
    const url = `${base}/v1/erasures`;
    const post = (token: string, body: unknown) =>
      fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    try {
      const body = { subject: CAROL, tenant: 'acme', reason: 'request 43' };
      expect((await post('tok_acme_reader_0123456789', body)).status).toBe(403);
      expect((await post('tok_operator_0123456789ab', { ...body, reason: '' })).status).toBe(400);
      expect(await count(inAcme({ term: { 'user.id': CAROL } }))).toBe(3);
      const res = await post('tok_operator_0123456789ab', body);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ matched: 3, erased: 3, asActor: 3, pseudonym: p(CAROL) });
      expect(await count(inAcme({ term: { 'user.id': CAROL } }))).toBe(0);
      expect(await count(inAcme({ term: { 'user.id': p(CAROL) } }))).toBe(3);
      await producer.flush(30_000);
      const [audit] = await auditEvents(p(CAROL), 1);
      expect(audit?._source).toMatchObject({
        user: { id: 'operator' },
        audit: { details: { events_changed: 3, requested_via: 'api' } },
      });
    } finally {
      await close();
    }
  }, 120_000);
});
