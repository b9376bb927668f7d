import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseObjectKey } from '@auditflow/archive';
import { WireCodec } from '@auditflow/kafka';
import { HEADERS, TOPICS } from '@auditflow/schemas';
import { runCli } from '../support/cli.ts';
import { readCommitted } from '../support/consume.ts';
import { judgeStage, type StageVerdict } from './accounting.ts';
import type { Harness } from './harness.ts';
import { readLog } from './logs.ts';
import { Sightings, type Tally } from './sightings.ts';
import { objectEvents } from './watchers.ts';

export type Stage = 'clean' | 'index' | 'archive' | 'sse' | 'webhook';
/** The topics before the clean one: where a duplicate first appears (the SDK's delivery is at least once). */
export type UpstreamStage = 'raw' | 'sanitized';

export interface FinalChecks {
  readonly stages: Record<Stage, StageVerdict>;
  /** How often each event was found at each stage. */
  readonly counts: Record<Stage, Tally>;
  /** The same for the raw and sanitized topics (by the event-id header), to locate duplicates. */
  readonly upstream: Record<UpstreamStage, Tally>;
  /** Events the webhook receiver got more than once before dropping repeated nonces. */
  readonly webhookRedelivered: number;
  /** Our events in the DLQ or quarantine, by `stage: reason` (every event of a run is valid). */
  readonly deadLettered: Record<string, number>;
  readonly secretsFound: Record<string, number>;
  readonly verify: { readonly ok: boolean; readonly output: string };
  readonly reconcile: {
    readonly gaps: number;
    readonly counts: Record<string, number>;
    /** The first few gaps as reconcile words them. */
    readonly details: string[];
    readonly output: string;
  };
  readonly seconds: number;
}

/** Whole topics of the run's own cluster, exactly to their end (no quiet-spell guess). */
const topicOptions = (h: Harness) => ({ brokers: h.endpoints.KAFKA_BROKERS, timeoutMs: 600_000 });

const header = (headers: Record<string, unknown> | undefined, name: string): string =>
  String((headers?.[name] as Buffer | undefined)?.toString() ?? '');

/** The clean topic read from the start, read_committed: how often each of our events is there. */
async function cleanTopic(h: Harness): Promise<Sightings> {
  const codec = new WireCodec(h.endpoints.SCHEMA_REGISTRY_URL);
  const seen = new Sightings(h.ids);
  await readCommitted(
    TOPICS.clean,
    async ({ message }) => {
      const event = await codec.decode(message.value);
      if (event.tenant_id !== h.tenant) return;
      seen.see(event.id);
      if (h.traffic.ledger.secretIds.has(event.id))
        h.secrets.scan('clean topic', (message.value as Buffer).toString('latin1'));
    },
    topicOptions(h),
  );
  return seen;
}

/** How often each event id (its header) is on a topic, read_committed from the start. */
async function idsOnTopic(h: Harness, topic: string): Promise<Sightings> {
  const seen = new Sightings(h.ids);
  await readCommitted(
    topic,
    ({ message }) => {
      const id = header(message.headers, HEADERS.eventId);
      if (h.traffic.ledger.acked.has(id) || h.traffic.ledger.inDoubt.has(id)) seen.see(id);
    },
    topicOptions(h),
  );
  return seen;
}

/** Our events set aside by any stage, by stage and reason. */
async function deadLettered(h: Harness): Promise<Record<string, number>> {
  const ours = (id: string) => h.traffic.ledger.acked.has(id) || h.traffic.ledger.inDoubt.has(id);
  const out: Record<string, number> = {};
  for (const topic of [TOPICS.dlq, TOPICS.quarantine]) {
    await readCommitted(
      topic,
      ({ message }) => {
        if (!ours(header(message.headers, HEADERS.eventId))) return;
        const key = `${topic}: ${header(message.headers, HEADERS.stage)}: ${header(message.headers, HEADERS.reason)}`;
        out[key] = (out[key] ?? 0) + 1;
      },
      topicOptions(h),
    );
  }
  return out;
}

/** Every document of the tenant in the run's indices (one hit per index holding the id). */
async function index(h: Harness): Promise<Sightings> {
  const seen = new Sightings(h.ids);
  const pattern = `${h.indexPrefix}*`;
  await h.es.indices.refresh({ index: pattern });
  let page = await h.es.search({
    index: pattern,
    scroll: '2m',
    size: 5000,
    _source: false,
    sort: ['_doc'],
    query: { term: { 'organization.id': h.tenant } },
  });
  while (page.hits.hits.length > 0) {
    for (const hit of page.hits.hits) if (hit._id) seen.see(hit._id);
    if (!page._scroll_id) break;
    page = await h.es.scroll({ scroll_id: page._scroll_id, scroll: '2m' });
  }
  if (page._scroll_id) await h.es.clearScroll({ scroll_id: page._scroll_id }).catch(() => {});
  const secretIds = [...h.traffic.ledger.secretIds].filter((id) => seen.has(id));
  for (let i = 0; i < secretIds.length; i += 500) {
    const docs = await h.es.search({
      index: pattern,
      size: 500,
      query: { ids: { values: secretIds.slice(i, i + 500) } },
    });
    h.secrets.scan('index', JSON.stringify(docs.hits.hits.map((d) => d._source)));
  }
  return seen;
}

/** Every event in every data object of the run's archive prefix. */
async function archive(h: Harness): Promise<Sightings> {
  const seen = new Sightings(h.ids);
  for (const { key } of await h.store.list(`tenant=${h.tenant}/`)) {
    if (!parseObjectKey(key)) continue;
    for (const line of await objectEvents(h.store, key)) {
      const id = (JSON.parse(line) as { id: string }).id;
      seen.see(id);
      if (h.traffic.ledger.secretIds.has(id)) h.secrets.scan('archive', line);
    }
  }
  return seen;
}

/**
 * `auditflow verify` and `auditflow reconcile` over the run, as an operator would run them.
 * Reconcile covers the whole run's cluster (every tenant): the services' own audit events
 * (the gateway's authentications, the query API's exports) share producers with ours.
 */
async function cli(h: Harness): Promise<Pick<FinalChecks, 'verify' | 'reconcile'>> {
  const env = h.env();
  const verified = await runCli(['verify'], env);
  const reconciled = await runCli(
    [
      'reconcile',
      '--from',
      new Date(h.startedAt - 60_000).toISOString(),
      '--to',
      new Date(Date.now() + 60_000).toISOString(),
      '--index',
      `${h.indexPrefix}*`,
      '--json',
    ],
    env,
  );
  let report: { gaps?: { stage?: string; detail?: string }[]; counts?: Record<string, number> } = {};
  try {
    report = JSON.parse(reconciled.stdout.trim().split('\n').at(-1) ?? '{}');
  } catch {
    // reported below through the output
  }
  return {
    verify: {
      ok: verified.code === 0 && verified.stdout.includes('archive verified: no problems'),
      output: `${verified.stdout}${verified.stderr}`.trim().split('\n').slice(-8).join('\n'),
    },
    reconcile: {
      gaps: report.gaps?.length ?? Number.NaN,
      counts: report.counts ?? {},
      details: (report.gaps ?? []).slice(0, 5).map((g) => `${g.stage}: ${g.detail}`),
      // Without a report the command failed: its error is the news.
      output: report.gaps ? '' : reconciled.stderr.trim().split('\n').slice(-8).join('\n'),
    },
  };
}

/** After the drain: every acknowledged event, by id, at every stage; secrets nowhere; verify and reconcile. */
export async function finalChecks(h: Harness): Promise<FinalChecks> {
  const started = Date.now();
  const { acked, inDoubt } = h.traffic.ledger;
  const [raw, sanitized, clean, indexed, archived, dead, tools] = await Promise.all([
    idsOnTopic(h, TOPICS.raw),
    idsOnTopic(h, TOPICS.sanitized),
    cleanTopic(h),
    index(h),
    archive(h),
    deadLettered(h),
    cli(h),
  ]);
  for (const file of readdirSync(h.logDir)) h.secrets.scan(`log ${file}`, readLog(join(h.logDir, file)));
  let redelivered = 0;
  for (const n of h.webhook.delivered.values()) redelivered += n - 1;
  const counts: Record<Stage, Tally> = {
    clean,
    index: indexed,
    archive: archived,
    sse: h.subscriber.seen,
    webhook: h.webhook.seen,
  };
  const stages = Object.fromEntries(
    Object.entries(counts).map(([stage, c]) => [stage, judgeStage(acked, inDoubt, c)]),
  ) as Record<Stage, StageVerdict>;
  return {
    stages,
    counts,
    upstream: { raw, sanitized },
    webhookRedelivered: redelivered,
    deadLettered: dead,
    secretsFound: h.secrets.summary(),
    ...tools,
    seconds: (Date.now() - started) / 1000,
  };
}
