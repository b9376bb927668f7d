import { setTimeout as sleep } from 'node:timers/promises';
import { ViewerTokens } from '@auditflow/query-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.ts';
import {
  ACME_HOST,
  auditRecords,
  type ConsoleStack,
  FULL_SESSION,
  GLOBEX_EVENT,
  LOCAL,
  mintViewerToken,
  OPERATOR_EVENT,
  OPERATOR_ID,
  startConsoleStack,
  VIEWER_KEY,
} from './fixtures.ts';

// biome-ignore lint/suspicious/noExplicitAny: index documents are schemaless JSON.
type Doc = any;

describe('viewer tokens on the query API (real Elasticsearch, Kafka, streamer)', () => {
  let stack: ConsoleStack;
  let viewer: string;
  const get = async (path: string, token: string) => {
    const res = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Doc };
  };

  beforeAll(async () => {
    stack = await startConsoleStack('viewer-api');
    const res = await mintViewerToken(stack.url, ACME_HOST, {
      tenant: 'acme',
      viewer: 'host-user-1',
      ttl: '10m',
    });
    expect(res.status).toBe(201);
    viewer = ((await res.json()) as { token: string }).token;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('are minted only by a query client, for a tenant it may read, with a valid ttl', async () => {
    expect((await mintViewerToken(stack.url, 'not-a-token-at-all-xx', { tenant: 'acme' })).status).toBe(401);
    const other = await mintViewerToken(stack.url, ACME_HOST, { tenant: 'globex' });
    expect(other.status).toBe(403);
    expect((await mintViewerToken(stack.url, viewer, { tenant: 'acme' })).status).toBe(403);
    const long = await mintViewerToken(stack.url, LOCAL, { tenant: 'acme', ttl: '48h' });
    expect(long.status).toBe(400);
    expect(((await long.json()) as { message: string }).message).toMatch(/^ttl:/);
    const ok = await mintViewerToken(stack.url, LOCAL, { tenant: 'globex', actor: 'globex-gail' });
    expect(ok.status).toBe(201);
    const body = (await ok.json()) as { token: string; console_path: string; expires_at: string };
    expect(body.console_path).toBe(`/console#token=${body.token}`);
    expect(Date.parse(body.expires_at) - Date.now()).toBeLessThanOrEqual(15 * 60_000);
  });

  it('auditflow viewer-token prints a working token alone, or the console URL; refuses what the client may not', async () => {
    const env = { ...process.env, AUDITFLOW_QUERY_URL: stack.url, AUDITFLOW_QUERY_TOKEN: ACME_HOST };
    const minted = await runCli(['viewer-token', '--tenant', 'acme', '--actor', 'ada', '--ttl', '5m'], env);
    expect(minted.code).toBe(0);
    const lines = minted.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const who = await get('/v1/whoami', lines[0] as string);
    expect(who.body).toMatchObject({
      kind: 'viewer',
      tenants: ['acme'],
      actor: 'ada',
      id: 'acme-host/viewer',
    });
    const url = await runCli(['viewer-token', '--tenant', 'acme', '--url'], env);
    expect(url.stdout.trim()).toMatch(new RegExp(`^${stack.url}/console#token=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    const refused = await runCli(['viewer-token', '--tenant', 'globex'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('query API answered 403');
    expect(refused.stdout).toBe('');
  });

  it('scope every read to the tenant: no other tenant by filter, id, trace or export', async () => {
    const page = await get('/v1/events?from=24h&size=1000', viewer);
    expect(page.status).toBe(200);
    expect(page.body.events.length).toBeGreaterThan(50);
    expect(new Set(page.body.events.map((d: Doc) => d.organization.id))).toEqual(new Set(['acme']));
    expect((await get('/v1/events?tenant_id=globex', viewer)).status).toBe(403);
    expect((await get(`/v1/events/${GLOBEX_EVENT}`, viewer)).status).toBe(404);
    expect((await get(`/v1/events/${GLOBEX_EVENT}`, LOCAL)).status).toBe(200);
    expect((await get('/v1/trace/globex-secret-session', viewer)).body.events).toEqual([]);
    expect((await get('/v1/live?tenant_id=globex', viewer)).status).toBe(403);
    const exported = await fetch(`${stack.url}/v1/export?format=ndjson&from=24h`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    const rows = (await exported.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Doc);
    expect(rows.length).toBe(page.body.events.length);
    expect(rows.every((d) => d.organization.id === 'acme')).toBe(true);
  });

  it('mask operators as "an administrator" in events, exports and summaries, not for staff', async () => {
    const event = (await get(`/v1/events/${OPERATOR_EVENT}`, viewer)).body.event;
    expect(event.user).toEqual({ id: 'an administrator', name: 'an administrator' });
    expect(JSON.stringify(event)).not.toContain('olga');
    expect((await get(`/v1/events/${OPERATOR_EVENT}`, LOCAL)).body.event.user.id).toBe(OPERATOR_ID);
    const csv = await (
      await fetch(`${stack.url}/v1/export?format=csv&from=24h`, {
        headers: { authorization: `Bearer ${viewer}` },
      })
    ).text();
    expect(csv).toContain('an administrator');
    expect(csv).not.toContain(OPERATOR_ID);
    const summary = (await get('/v1/summary?from=24h', viewer)).body;
    const actors = summary.top_actors.map((a: { actor: string }) => a.actor);
    expect(actors).toContain('an administrator');
    expect(actors).not.toContain(OPERATOR_ID);
    // Searching for an operator by id finds nothing, so the id cannot be confirmed that way.
    expect((await get(`/v1/events?from=24h&actor=${OPERATOR_ID}`, viewer)).body.events).toEqual([]);
  });

  it('an actor-scoped token reads only that actor; expired and forged tokens are refused', async () => {
    const minted = await mintViewerToken(stack.url, ACME_HOST, { tenant: 'acme', actor: 'flow-runner' });
    const { token } = (await minted.json()) as { token: string };
    const page = await get('/v1/events?from=24h&size=1000', token);
    expect(page.body.events.length).toBeGreaterThan(0);
    expect(page.body.events.every((d: Doc) => d.user.id === 'flow-runner')).toBe(true);
    expect((await get('/v1/events?actor=ada', token)).status).toBe(403);
    const past = new ViewerTokens(VIEWER_KEY, () => Date.now() - 3_600_000);
    const expired = (await past.issue({ tenant: 'acme', ttl: '5m' }, 'acme-host')).token;
    const refused = await get('/v1/events', expired);
    expect(refused).toMatchObject({ status: 401, body: { error: 'token_expired' } });
    expect((await get('/v1/events', `${viewer.slice(0, -4)}AAAA`)).status).toBe(401);
  });

  it('lists sessions with status, duration and counts', async () => {
    const { sessions } = (await get('/v1/sessions?from=24h', viewer)).body;
    const full = sessions.find((s: Doc) => s.id === FULL_SESSION);
    expect(full).toMatchObject({
      status: 'completed',
      events: 5,
      duration_ms: 80_000,
      actor: { id: 'flow-runner', type: 'agent' },
      tenant_id: 'acme',
    });
    expect(sessions.every((s: Doc) => s.tenant_id === 'acme')).toBe(true);
    expect(sessions.some((s: Doc) => s.status === 'failed')).toBe(true);
  });

  it("audits every read under a viewer token as the viewer's, and every token minted", async () => {
    // Audit records go through the SDK (returns at once): poll the topic until both exports are in.
    let records: Awaited<ReturnType<typeof auditRecords>> = [];
    const exportsOf = () =>
      records.filter((r) => r.actor.id === 'host-user-1' && r.action === 'audit.log.exported');
    for (
      const deadline = Date.now() + 60_000;
      exportsOf().length < 2 && Date.now() < deadline;
      await sleep(500)
    )
      records = await auditRecords(stack.auditTopic);
    const mine = records.filter((r) => r.actor.id === 'host-user-1');
    const views = mine.filter((r) => r.action === 'audit.log.viewed');
    expect(views.length).toBeGreaterThanOrEqual(5);
    for (const r of mine) {
      expect(r.tenant_id).toBe('acme');
      expect(r.actor.type).toBe('user');
      expect(JSON.parse(r.details as string).viewer).toMatchObject({
        subject: 'host-user-1',
        tenant: 'acme',
        issued_by: 'acme-host',
      });
    }
    expect(views.map((r) => JSON.parse(r.details as string).view)).toEqual(
      expect.arrayContaining(['search', 'event', 'trace', 'overview', 'sessions']),
    );
    expect(mine.filter((r) => r.action === 'audit.log.exported')).toHaveLength(2);
    const issued = records.filter((r) => r.action === 'audit.viewer_token.issued');
    expect(issued.map((r) => r.actor.id)).toEqual(expect.arrayContaining(['acme-host', 'local']));
    expect(JSON.stringify(issued)).not.toContain(viewer);
    // Staff reads are not page views.
    expect(records.some((r) => r.action === 'audit.log.viewed' && r.actor.id === 'local')).toBe(false);
  });

  it('close() ends live relays, so subscribers never hold up a shutdown', async () => {
    const own = await startConsoleStack('viewer-close');
    const res = await fetch(`${own.url}/v1/live`, { headers: { authorization: `Bearer ${LOCAL}` } });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const stopped = own.stop().then(() => 'stopped');
    expect(await Promise.race([stopped, sleep(30_000).then(() => 'still open after 30 s')])).toBe('stopped');
    let ended = false;
    while (!ended)
      ended = await reader.read().then(
        (r) => r.done,
        () => true,
      );
    expect(ended).toBe(true);
  });
});
