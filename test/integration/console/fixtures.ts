import { OperatorPolicy } from '@auditflow/query-api';
import { type AuditEvent, type AuditEventInput, auditEventType, toAuditEvent } from '@auditflow/schemas';
import { demoEvent } from '../../../infra/cli/src/demo.ts';
import { consumeAll } from '../../support/consume.ts';
import { elasticsearchClient } from '../../support/endpoints.ts';
import { auditTopicFor, indexOfOwn, startQueryApi } from '../../support/query-api.ts';
import { enrichmentOf } from '../../support/records.ts';
import { ALL_TOKEN, type RunningStreamer, startStreamer, streamTopic } from '../streamer/fixtures.ts';

export const LOCAL = 'tok_console_local_0123456789';
export const ACME_HOST = 'tok_console_acme_host_0123456';
export const VIEWER_KEY = new TextEncoder().encode('console-test-viewer-key-0123456789abcdef');
/** An operator by id (AUDITFLOW_OPERATOR_IDS); `admin_action` actors are operators anyway. */
export const OPERATOR_ID = 'ops-olga';
/** Demo traffic: six events a session, three tenants, every domain of the catalog. */
export const DEMO_EVENTS = 300;
export const FULL_SESSION = 'sess-full-0001';
export const REDACTED_EVENT = '01938a5e-0000-7000-8000-00000000aaaa';
export const REDACTED_CORRELATION = 'corr-redacted-1';
export const REDACTED_FINGERPRINT = 'f1'.repeat(32);
export const OPERATOR_EVENT = '01938a5e-0000-7000-8000-00000000bbbb';
export const GLOBEX_EVENT = '01938a5e-0000-7000-8000-00000000cccc';

let sequence = 0;
const stamp = (id?: string) => ({
  id: id ?? `01938a5e-0000-7000-8000-${String(++sequence).padStart(12, '0')}`,
  occurredAt: 0,
  producerId: 'console-test',
  sequence: ++sequence,
});

/** Demo events over the last hour, then the crafted ones: a whole session, a redaction, operators. */
export function consoleEvents(now: number): AuditEvent[] {
  const at = (msAgo: number) => new Date(now - msAgo).toISOString();
  const events: AuditEvent[] = Array.from({ length: DEMO_EVENTS }, (_, i) =>
    toAuditEvent({ ...demoEvent(i), occurred_at: at((DEMO_EVENTS - i) * 10_000) }, stamp()),
  );
  const agent = { type: 'agent' as const, id: 'flow-runner', session_id: 'flow-77' };
  const session = (i: number, input: Partial<AuditEventInput> & Pick<AuditEventInput, 'action'>) =>
    toAuditEvent(
      {
        actor: agent,
        outcome: 'success',
        tenant_id: 'acme',
        correlation_id: FULL_SESSION,
        service: { name: 'agent-runner' },
        occurred_at: at(600_000 - i * 20_000),
        ...input,
      },
      stamp(),
    );
  events.push(
    session(0, { action: 'agent.flow.started', details: { goal: 'fix flaky test' } }),
    session(1, { action: 'agent.tool.invoked', details: { tool: 'read_file' } }),
    session(2, {
      action: 'gitlab.api.post_mr_note',
      target: { type: 'note', id: 'note-5' },
    }),
    session(3, { action: 'git.push', target: { type: 'commit', id: 'c0ffee1' } }),
    session(4, {
      action: 'agent.flow.completed',
      details: { resources_created: [{ type: 'merge_request', iid: 42 }] },
    }),
  );
  const redacted = toAuditEvent(
    {
      action: 'git.push',
      actor: { type: 'user', id: 'ada' },
      outcome: 'success',
      tenant_id: 'acme',
      service: { name: 'chatops-bot' },
      occurred_at: at(120_000),
      details: { remote: 'https://ci:[REDACTED:gitlab-pat:0123456789ab]@gitlab.example.com/acme/infra.git' },
    },
    stamp(REDACTED_EVENT),
  );
  events.push({
    ...redacted,
    correlation_id: REDACTED_CORRELATION,
    enrichment: enrichmentOf({ processed_at: now, severity: 'high', fingerprint: REDACTED_FINGERPRINT }),
    sanitization: {
      ruleset_version: 'test',
      findings: [{ rule: 'gitlab-pat', path: 'details.remote', count: 1 }],
      pii_actions: [],
      truncated_paths: [],
    },
  });
  events.push(
    toAuditEvent(
      {
        action: 'security.config.updated',
        actor: { type: 'user', id: OPERATOR_ID, name: 'Olga Operator', email: 'olga@auditflow.example' },
        outcome: 'success',
        tenant_id: 'acme',
        service: { name: 'admin-portal' },
        occurred_at: at(60_000),
      },
      stamp(OPERATOR_EVENT),
    ),
    toAuditEvent(
      {
        action: 'git.push',
        actor: { type: 'user', id: 'globex-gail' },
        outcome: 'success',
        tenant_id: 'globex',
        correlation_id: 'globex-secret-session',
        service: { name: 'chatops-bot' },
        occurred_at: at(30_000),
      },
      stamp(GLOBEX_EVENT),
    ),
  );
  return events;
}

export interface ConsoleStack {
  readonly url: string;
  readonly auditTopic: string;
  readonly streamTopic: string;
  readonly streamer: RunningStreamer;
  stop(): Promise<void>;
}

/**
 * The query API over an index of its own (the indexer's template, `consoleEvents`), its audit
 * records on a topic of its own, and a real streamer over a clean-like topic for Live.
 */
export async function startConsoleStack(name: string, now = Date.now()): Promise<ConsoleStack> {
  const es = elasticsearchClient();
  const index = await indexOfOwn(es, name, consoleEvents(now), now);
  const auditTopic = await auditTopicFor(name);
  const live = await streamTopic(`it.${name}`);
  const streamer = await startStreamer(live);
  const api = await startQueryApi({
    name,
    es,
    topic: auditTopic,
    config: {
      index: `${index.prefix}*`,
      exportCap: 10_000,
      clients: [
        { id: 'local', token: LOCAL, tenants: ['*'] },
        { id: 'acme-host', token: ACME_HOST, tenants: ['acme'] },
      ],
      viewerKey: VIEWER_KEY,
      operators: new OperatorPolicy([OPERATOR_ID]),
      live: { url: streamer.url, token: ALL_TOKEN },
    },
  });
  return {
    url: api.url,
    auditTopic,
    streamTopic: live,
    streamer,
    stop: async () => {
      await api.close();
      await streamer.stop();
      await index.drop();
      await es.close();
    },
  };
}

/** The query API's audit records so far (flushes nothing: callers wait for what they expect). */
export async function auditRecords(topic: string): Promise<AuditEvent[]> {
  return (await consumeAll(topic)).map(
    (m) => auditEventType.fromBuffer((m.message.value as Buffer).subarray(5)) as AuditEvent,
  );
}

/** Mints a viewer token through the API, as a host product does. */
export async function mintViewerToken(
  url: string,
  clientToken: string,
  body: Record<string, unknown>,
): Promise<Response> {
  return fetch(`${url}/v1/viewer-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${clientToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
