import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { createAuditProducer } from '@auditflow/producer';
import type { QueryApiConfig } from '@auditflow/query-api';
import { type AuditEvent, auditEventType, toAuditEvent } from '@auditflow/schemas';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeAll } from '../../support/consume.ts';
import { elasticsearchClient } from '../../support/endpoints.ts';
import { auditTopicFor, indexOfOwn, startQueryApi } from '../../support/query-api.ts';

const ACME = 'tok_acme_reader_0123456789';
const ALL = 'tok_all_reader_0123456789ab';
const base = Date.parse('2026-11-20T10:00:00Z');

function event(i: number): AuditEvent {
  const tenant = i % 5 === 4 ? 'globex' : 'acme';
  return toAuditEvent(
    {
      occurred_at: new Date(base + i * 60_000).toISOString(),
      action: i % 3 === 0 ? 'agent.flow.started' : i % 3 === 1 ? 'agent.flow.failed' : 'git.push',
      actor: { type: 'user', id: `u${i % 4}`, name: i === 7 ? '=HYPERLINK("http://evil")' : `User ${i % 4}` },
      target: { type: 'repository', id: `repo-${i % 2}` },
      outcome: i % 3 === 1 ? 'failure' : 'success',
      correlation_id: `corr-${i % 6}`,
      tenant_id: tenant,
      service: { name: i % 2 === 0 ? 'chatops-bot' : 'agent-runner' },
      details: { step: `step-${i}`, note: i === 11 ? 'contains needle-xyz here' : 'nothing' },
    },
    {
      id: `0192f7a4-6b1e-7c3d-9a4b-${String(i).padStart(12, '0')}`,
      occurredAt: 0,
      producerId: 'q',
      sequence: i + 1,
    },
  );
}

/** A query API over its own index (the indexer's template, these events) and its own audit topic. */
async function queryApiOver(
  es: ReturnType<typeof elasticsearchClient>,
  name: string,
  events: readonly AuditEvent[],
  config: Pick<QueryApiConfig, 'exportCap' | 'clients' | 'pagingAuditRows'>,
  registry = new Registry(),
) {
  const index = await indexOfOwn(es, name, events);
  const auditTopic = await auditTopicFor(name);
  const api = await startQueryApi({
    name,
    es,
    topic: auditTopic,
    config: { index: `${index.prefix}*`, ...config },
    registry,
  });
  return {
    url: api.url,
    producer: api.producer,
    auditTopic,
    stop: async () => {
      await api.close();
      await index.drop();
      await es.close();
    },
  };
}

describe('query API against real Elasticsearch', () => {
  const es = elasticsearchClient();
  const events = Array.from({ length: 50 }, (_, i) => event(i));
  let url: string;
  let producer: ReturnType<typeof createAuditProducer>;
  let auditTopic: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const q = await queryApiOver(es, 'q', events, {
      exportCap: 25,
      clients: [
        { id: 'acme-analyst', token: ACME, tenants: ['acme'] },
        { id: 'auditor', token: ALL, tenants: ['*'] },
      ],
    });
    ({ url, producer, auditTopic, stop } = q);
  });

  afterAll(() => stop());

  const get = async (path: string, token = ALL) =>
    fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const json = async <T>(path: string, token = ALL): Promise<T> => {
    const res = await get(path, token);
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  type Page = {
    events: { event: { id: string; action: string }; organization: { id: string } }[];
    next_cursor: string | null;
  };

  it('filters by action wildcard, outcome, actor, target, correlation id, time and text in details', async () => {
    const ids = (page: Page) => page.events.map((e) => e.event.id).sort();
    const expected = (pred: (e: AuditEvent) => boolean) =>
      events
        .filter(pred)
        .map((e) => e.id)
        .sort();
    expect(ids(await json<Page>('/v1/events?action=agent.flow.*&size=100'))).toEqual(
      expected((e) => e.action.startsWith('agent.flow.')),
    );
    expect(ids(await json<Page>('/v1/events?outcome=failure&size=100'))).toEqual(
      expected((e) => e.outcome === 'failure'),
    );
    expect(ids(await json<Page>('/v1/events?actor=u2&target=repo-0&size=100'))).toEqual(
      expected((e) => e.actor.id === 'u2' && e.target?.id === 'repo-0'),
    );
    expect(ids(await json<Page>('/v1/events?correlation_id=corr-3&size=100'))).toEqual(
      expected((e) => e.correlation_id === 'corr-3'),
    );
    expect(
      ids(await json<Page>(`/v1/events?from=${new Date(base + 40 * 60_000).toISOString()}&size=100`)),
    ).toEqual(expected((e) => e.occurred_at >= base + 40 * 60_000));
    expect(ids(await json<Page>('/v1/events?q=NEEDLE-xyz'))).toEqual([events[11]?.id]);
  });

  it('pages through everything with cursors: no gaps, no repeats, newest first', async () => {
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: Page = await json<Page>(`/v1/events?size=7${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.events.map((e) => e.event.id));
      cursor = page.next_cursor;
    }
    expect(seen).toHaveLength(50);
    expect(new Set(seen).size).toBe(50);
    expect(seen).toEqual([...events].reverse().map((e) => e.id));
  });

  it('never shows a tenant-A token tenant B', async () => {
    const acme = await json<Page>('/v1/events?size=100', ACME);
    expect(acme.events.length).toBe(events.filter((e) => e.tenant_id === 'acme').length);
    expect(acme.events.every((e) => e.organization.id === 'acme')).toBe(true);
    expect((await get('/v1/events?tenant_id=globex', ACME)).status).toBe(403);
    const trace = await json<{ events: { organization: { id: string } }[] }>('/v1/trace/corr-4', ACME);
    expect(trace.events.every((e) => e.organization.id === 'acme')).toBe(true);
    expect((await get('/v1/events')).status).toBe(200);
    expect((await fetch(`${url}/v1/events`)).status).toBe(401);
  });

  it('exports CSV and NDJSON capped, with formula injection neutralised, and audits the export', async () => {
    const ndjson = await (await get('/v1/export?format=ndjson&limit=100000')).text();
    expect(ndjson.trim().split('\n')).toHaveLength(25); // the configured cap wins over the request
    const csv = await (await get('/v1/export?format=csv&actor=u3')).text();
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toMatch(/^timestamp,event_id,action,outcome/);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(csv).not.toMatch(/(^|,)"=HYPERLINK/m);
    await producer.flush();
    const audited = (await consumeAll(auditTopic)).map(
      (m) => auditEventType.fromBuffer((m.message.value as Buffer).subarray(5)) as AuditEvent,
    );
    const exports = audited.filter((e) => e.action === 'audit.log.exported');
    expect(exports).toHaveLength(2);
    expect(JSON.parse(exports[0]?.details as string)).toMatchObject({ format: 'ndjson', rows: 25, cap: 25 });
    expect(exports[1]?.actor.id).toBe('auditor');
  });

  it('summarises counts by outcome, action and actor, with the failure rate', async () => {
    const summary = await json<{
      total: number;
      failure_rate: number;
      by_outcome: Record<string, number>;
      top_actors: { actor: string }[];
    }>('/v1/summary?interval=1h');
    const failures = events.filter((e) => e.outcome === 'failure').length;
    expect(summary.total).toBe(50);
    expect(summary.by_outcome.failure).toBe(failures);
    expect(summary.failure_rate).toBeCloseTo(failures / 50);
    expect(summary.top_actors).toHaveLength(4);
  });

  it('is ready when Elasticsearch answers', async () => {
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('traces one correlation id across services in time order', async () => {
    const trace = await json<{ services: string[]; events: { '@timestamp': string }[] }>('/v1/trace/corr-1');
    const expected = events.filter((e) => e.correlation_id === 'corr-1');
    expect(trace.events).toHaveLength(expected.length);
    const times = trace.events.map((e) => e['@timestamp']);
    expect(times).toEqual([...times].sort());
    expect(trace.services.sort()).toEqual(['agent-runner']);
  });

  it('answers the CLI: search as a table, trace, and export as CSV', async () => {
    const run = promisify(execFile);
    const cli = (...args: string[]) =>
      run('node', ['--import', 'tsx', '--conditions=auditflow-source', 'infra/cli/src/main.ts', ...args], {
        env: { ...process.env, AUDITFLOW_QUERY_URL: url, AUDITFLOW_QUERY_TOKEN: ACME },
      });
    const table = await cli('search', '--action', 'git.push', '--outcome', 'success', '--all', '--size', '3');
    const rows = table.stdout.trim().split('\n');
    expect(rows).toHaveLength(events.filter((e) => e.action === 'git.push' && e.tenant_id === 'acme').length);
    expect(rows.every((r) => /^2026-11-20T\S+Z\s+success\s+git\.push\s+acme\//.test(r))).toBe(true);
    const trace = await cli('trace', 'corr-2', '--format', 'ndjson');
    expect(
      trace.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).audit.correlation_id),
    ).toEqual(
      events.filter((e) => e.correlation_id === 'corr-2' && e.tenant_id === 'acme').map(() => 'corr-2'),
    );
    const csv = await cli(
      'export',
      '--format',
      'csv',
      '--from',
      '2026-11-20T10:00:00Z',
      '--to',
      '2026-11-20T10:05:00Z',
    );
    expect(csv.stdout.trim().split('\r\n')).toHaveLength(
      1 + events.filter((e) => e.tenant_id === 'acme' && e.occurred_at <= base + 5 * 60_000).length,
    );
    const refused = await cli('search', '--tenant', 'globex').catch((err: { stderr: string }) => err);
    expect((refused as { stderr: string }).stderr).toMatch(/403: this token may not read tenant globex/);
  });
});

/** Issue 14, item 4: every read of the log is audited, even one the client abandons. */
describe('query API: export and paging audit against real Elasticsearch and Kafka', () => {
  const es = elasticsearchClient();
  const COUNT = 6000;
  const registry = new Registry();
  let url: string;
  let producer: ReturnType<typeof createAuditProducer>;
  let auditTopic: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    // Rows of about 3 KB: an export of all of them is far more than the sockets buffer.
    const padding = 'x'.repeat(2500);
    const rows = Array.from({ length: COUNT }, (_, i) =>
      toAuditEvent(
        {
          occurred_at: new Date(base + i * 1000).toISOString(),
          action: 'git.push',
          actor: { type: 'user', id: `u${i % 7}` },
          outcome: 'success',
          tenant_id: 'acme',
          service: { name: 'forge' },
          details: { i, padding },
        },
        {
          id: `0192f7a4-6b1e-7c3d-9a4b-${String(i).padStart(12, '0')}`,
          occurredAt: 0,
          producerId: 'qx',
          sequence: i + 1,
        },
      ),
    );
    const q = await queryApiOver(
      es,
      'qx',
      rows,
      {
        exportCap: 100_000,
        pagingAuditRows: 300,
        clients: [
          { id: 'walker', token: ALL, tenants: ['*'] },
          { id: 'exporter', token: ACME, tenants: ['acme'] },
        ],
      },
      registry,
    );
    ({ url, producer, auditTopic, stop } = q);
  }, 120_000);

  afterAll(() => stop());

  const audited = async () => {
    await producer.flush();
    return (await consumeAll(auditTopic)).map((m) => {
      const e = auditEventType.fromBuffer((m.message.value as Buffer).subarray(5)) as AuditEvent;
      return { ...e, details: JSON.parse(e.details ?? 'null') as Record<string, unknown> };
    });
  };
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    (await registry.getSingleMetric(name)?.get())?.values.find((v) =>
      Object.entries(labels).every(([k, want]) => v.labels[k] === want),
    )?.value ?? 0;

  it('a client that reads a few rows and hangs up: both audit records, rows sent, handler and point in time released', async () => {
    const lines = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${url}/v1/export?format=ndjson`,
        { headers: { authorization: `Bearer ${ACME}` } },
        (res) => {
          expect(res.statusCode).toBe(200);
          let seen = 0;
          res.on('data', (chunk: Buffer) => {
            seen += chunk.toString().split('\n').length - 1;
            if (seen >= 5) {
              req.destroy(); // the client goes away mid-export
              resolve(seen);
            }
          });
        },
      );
      req.on('error', (err) => (err.message.includes('aborted') ? undefined : reject(err)));
      req.end();
    });
    expect(lines).toBeGreaterThanOrEqual(5);
    const deadline = Date.now() + 15_000;
    while ((await metric('auditflow_query_exports_total', { result: 'client_gone' })) < 1) {
      if (Date.now() > deadline) throw new Error('the export handler is still pending');
      await sleep(100);
    }
    expect(await metric('auditflow_query_exports_in_progress')).toBe(0);
    expect(await metric('auditflow_query_requests_total', { route: 'export', status: '499' })).toBe(1);

    const records = await audited();
    const started = records.filter((e) => e.action === 'audit.log.export_started');
    expect(started).toHaveLength(1);
    const exportId = started[0]?.correlation_id;
    expect(started[0]).toMatchObject({
      actor: { id: 'exporter' },
      tenant_id: 'auditflow',
      details: { format: 'ndjson', cap: 100_000, export_id: exportId },
    });
    const done = records.filter((e) => e.action === 'audit.log.exported' && e.correlation_id === exportId);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({
      outcome: 'failure',
      error: { class: 'network_error', code: 'client_gone' },
      details: { client_gone: true, complete: false, format: 'ndjson' },
    });
    const rows = done[0]?.details.rows as number;
    expect(rows).toBeGreaterThanOrEqual(lines);
    expect(rows).toBeLessThan(COUNT); // it stopped: not the whole index pushed into a dead socket
    expect(done[0]?.ingest?.via).toBe('sdk');
  });

  it('a complete export and a capped one: rows, complete and truncated in the completion record', async () => {
    const all = await (
      await fetch(`${url}/v1/export?format=csv`, { headers: { authorization: `Bearer ${ACME}` } })
    ).text();
    expect(all.trim().split('\r\n')).toHaveLength(1 + COUNT);
    const capped = await (
      await fetch(`${url}/v1/export?format=ndjson&limit=100&tenant_id=acme`, {
        headers: { authorization: `Bearer ${ACME}` },
      })
    ).text();
    expect(capped.trim().split('\n')).toHaveLength(100);
    const done = (await audited()).filter(
      (e) => e.action === 'audit.log.exported' && e.details.client_gone === false,
    );
    expect(
      done.map((e) => [e.outcome, e.details.format, e.details.rows, e.details.complete, e.details.truncated]),
    ).toEqual([
      ['success', 'csv', COUNT, true, false],
      ['success', 'ndjson', 100, true, true],
    ]);
    expect(done[1]?.tenant_id).toBe('acme'); // audited under the tenant whose rows were read
  });

  it('caps a page with a 400 naming the parameter, and audits a long page walk as an export', async () => {
    const big = await fetch(`${url}/v1/events?size=1001`, { headers: { authorization: `Bearer ${ALL}` } });
    expect(big.status).toBe(400);
    expect(await big.json()).toMatchObject({
      error: 'invalid_parameter',
      message: expect.stringMatching(/^size: at most 1000 events per page/),
    });
    const unknown = await fetch(`${url}/v1/events?sise=10`, { headers: { authorization: `Bearer ${ALL}` } });
    expect(await unknown.json()).toMatchObject({ message: 'unknown parameter sise' });

    let cursor: string | null = null;
    for (let page = 0; page < 4; page++) {
      const res = await fetch(`${url}/v1/events?size=100&actor=u3${cursor ? `&cursor=${cursor}` : ''}`, {
        headers: { authorization: `Bearer ${ALL}` },
      });
      cursor = ((await res.json()) as { next_cursor: string | null }).next_cursor;
    }
    const walks = (await audited()).filter(
      (e) => e.action === 'audit.log.exported' && e.details.via === 'paging',
    );
    expect(walks).toHaveLength(1); // 400 rows: one record at the 300-row threshold, 100 still counting
    expect(walks[0]).toMatchObject({
      actor: { id: 'walker' },
      details: { rows: 300, pages: 3, threshold_rows: 300, filters: [{ actor: 'u3', size: 100 }] },
    });
  });
});
