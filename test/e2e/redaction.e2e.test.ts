/**
 * Redaction end to end (issue 13): the whole corpus of real-world secrets and ordinary values
 * through every service as a process on the real servers. No secret, nor a 10-character
 * fragment of one, in the clean topic, the index, the archive or the live stream; every keep
 * value byte for byte; a 300 KB adversarial event searchable within seconds while ordinary
 * events keep flowing; `auditflow search --secret-value-file` finds where a secret was seen.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readTopicSince } from '@auditflow/archive';
import { type AuditEventInput, HEADERS, TOPICS } from '@auditflow/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseClient } from '../integration/streamer/sse-client.ts';
import { ARCHIVE_SIGNING_KEY_ENV, archivedEvents, testArchiveStore } from '../support/archive.ts';
import { runCli } from '../support/cli.ts';
import { leakedFragments, readableText } from '../support/corpus/check.ts';
import { keepCases, secretCases } from '../support/corpus/secrets.ts';
import { createTopicsAndSchemas, rawTopicProducer } from '../support/e2e-setup.ts';
import { elasticsearchClient, endpoints, kafkaClient, unique } from '../support/endpoints.ts';
import { sampleEvent } from '../support/events.ts';
import { pipelineOnPorts, ServiceProcess } from '../support/pipeline-services.ts';

const tenant = `redact-${randomBytes(4).toString('hex')}`;
const logs = mkdtempSync(join(tmpdir(), 'redaction-e2e-logs-'));
const archivePrefix = `${unique('redaction-archive')}/`;
const streamToken = randomBytes(24).toString('hex');
const queryToken = randomBytes(24).toString('hex');
const redactionKey = randomBytes(32).toString('hex');
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...endpoints(),
  AUDITFLOW_STREAM_TOKEN: streamToken,
  AUDITFLOW_QUERY_TOKEN: queryToken,
  AUDITFLOW_PSEUDONYM_KEY: randomBytes(32).toString('hex'),
  AUDITFLOW_REDACTION_KEY: redactionKey,
  AUDITFLOW_ARCHIVE_SIGNING_KEY: ARCHIVE_SIGNING_KEY_ENV,
  AUDITFLOW_ARCHIVE_PREFIX: archivePrefix,
  AUDITFLOW_ARCHIVE_ROLL_SECONDS: '3',
};
/**
 * Ports of their own (usual port + 18000): `auditflow up`, pnpm chaos (+20000), the chaos (+13000)
 * and hostile (+16000) e2e tests use others. Below 32768, Linux's first ephemeral port: at +25000
 * a listener could find its port taken by some client connection's local end (EADDRINUSE).
 */
const specs = pipelineOnPorts(18_000).filter((s) => s.name !== 'gateway');
// A spool of its own per service: a spool is one process's (it holds a lock).
const services = specs.map((spec) => {
  const spool = mkdtempSync(join(tmpdir(), `redaction-e2e-spool-${spec.name}-`));
  return new ServiceProcess(spec, { logDir: logs, env: () => ({ ...env, AUDITFLOW_SPOOL_DIR: spool }) });
});
const portOf = (name: string): number => specs.find((s) => s.name === name)?.port as number;

/** A 300 KB event made of the shapes that make backtracking regexes quadratic, a secret at the end. */
const ADVERSARIAL_SECRET = `ghp_${'Zq9Xr7Wv5Tu3Sr1Pq2NoMk4Lj6Hg8Fd0Sa2Dx4C'.slice(0, 36)}`;
function adversarialEvent(): AuditEventInput {
  const run = (unit: string, bytes: number) => unit.repeat(Math.floor(bytes / unit.length));
  return sampleEvent(90_000, {
    tenant_id: tenant,
    action: 'agent.flow.prompt_received',
    error: { class: 'internal', code: 'E_PROMPT', message: run('a-', 8000) },
    details: {
      prompt: run('a-', 40_000),
      pairs: run('password=', 30_000),
      flags: run('--password ', 20_000),
      entropy: run('Zx8Qm2Lr7Tn4', 30_000),
      digits: run('4111 1111 ', 30_000),
      pem: `-----BEGIN PRIVATE KEY-----${run('MIIEvQ', 20_000)}`,
      urls: run('a://a:a@', 20_000),
      jwt: run('eyJhbGciOi.', 20_000),
      tail: `and finally the token ${ADVERSARIAL_SECRET}`,
    },
    changes: [{ field: 'system_prompt', before: run('secret: ', 30_000), after: run('token: ', 30_000) }],
  });
}

/** The index keeps `changes[].before/after` as JSON text; read them as the values they hold. */
function withChangesParsed(source: unknown): unknown {
  const doc = source as { audit?: { changes?: { before?: string; after?: string }[] } };
  const parse = (text: string | undefined): unknown => {
    try {
      return text === undefined ? undefined : JSON.parse(text);
    } catch {
      return text;
    }
  };
  const changes = doc.audit?.changes?.map((c) => ({ ...c, before: parse(c.before), after: parse(c.after) }));
  return changes ? { ...doc, audit: { ...doc.audit, changes } } : doc;
}

interface Emitted {
  readonly id: string;
  readonly secrets: readonly string[];
  readonly keep: readonly string[];
}

describe('redaction end to end (corpus through every service as a process)', () => {
  const started = Date.now() - 60_000;
  const emitted: Emitted[] = [];
  let subscriber: SseClient;
  const es = elasticsearchClient();
  let adversarialId = '';
  let adversarialSearchableMs = Number.POSITIVE_INFINITY;
  const flowingIds: string[] = [];

  beforeAll(async () => {
    await createTopicsAndSchemas(env);
    for (const service of services) await service.start();
    subscriber = await SseClient.open(
      `http://127.0.0.1:${portOf('streamer')}/v1/stream?tenant_id=${tenant}`,
      streamToken,
    );
    expect(subscriber.status).toBe(200);

    const producer = rawTopicProducer('redaction-e2e-sdk-');
    for (const c of [...secretCases(), ...keepCases()]) {
      const { id } = producer.emit({ ...c.event, tenant_id: tenant });
      emitted.push({ id, secrets: 'secrets' in c ? c.secrets : [], keep: c.keep ?? [] });
    }
    await producer.flush();

    // The adversarial event, then ordinary traffic behind it: the sanitizer must not stall.
    const sentAt = Date.now();
    adversarialId = producer.emit(adversarialEvent()).id;
    emitted.push({ id: adversarialId, secrets: [ADVERSARIAL_SECRET], keep: [] });
    for (let i = 0; i < 20; i++) {
      flowingIds.push(producer.emit(sampleEvent(91_000 + i, { tenant_id: tenant })).id);
      await sleep(100);
    }
    await producer.close(60_000);
    for (const id of flowingIds) emitted.push({ id, secrets: [], keep: [] });
    const deadline = sentAt + 120_000;
    while (Date.now() < deadline) {
      const found = await es
        .count({ index: 'audit-events*', query: { ids: { values: [adversarialId] } } })
        .then((r) => r.count > 0)
        .catch(() => false);
      if (found) {
        adversarialSearchableMs = Date.now() - sentAt;
        break;
      }
      await sleep(250);
    }
  }, 420_000);

  afterAll(async () => {
    subscriber?.close();
    await Promise.all(services.map((s) => s.stop()));
    await es.close();
  });

  it('makes the 300 KB adversarial event searchable within seconds, and the events behind it too', async () => {
    process.stderr.write(
      `[redaction e2e] 300 KB adversarial event searchable after ${adversarialSearchableMs} ms\n`,
    );
    expect(adversarialSearchableMs, 'emit -> searchable of the adversarial event').toBeLessThan(30_000);
    const deadline = Date.now() + 60_000;
    let behind = 0;
    while (Date.now() < deadline && behind < flowingIds.length) {
      await es.indices.refresh({ index: 'audit-events*' }).catch(() => {});
      behind = (await es.count({ index: 'audit-events*', query: { ids: { values: flowingIds } } })).count;
      if (behind < flowingIds.length) await sleep(500);
    }
    expect(behind).toBe(flowingIds.length);
  });

  it('indexes every event with no secret fragment and every keep value byte for byte', async () => {
    const deadline = Date.now() + 120_000;
    const query = { term: { 'organization.id': tenant } };
    let count = 0;
    while (Date.now() < deadline) {
      await es.indices.refresh({ index: 'audit-events*' }).catch(() => {});
      count = (await es.count({ index: 'audit-events*', query })).count;
      if (count >= emitted.length) break;
      await sleep(1000);
    }
    expect(count).toBe(emitted.length);
    const hits = await es.search({ index: 'audit-events*', size: emitted.length + 10, query });
    const docs = new Map(
      hits.hits.hits.map((h) => [h._id as string, readableText(withChangesParsed(h._source))]),
    );
    const leaks = emitted.flatMap((e) =>
      leakedFragments(e.secrets, docs.get(e.id) ?? '').map((f) => `${e.id}: ${f}`),
    );
    expect(leaks).toEqual([]);
    const altered = emitted.flatMap((e) =>
      e.keep.filter((v) => !(docs.get(e.id) ?? '').includes(v)).map((v) => `${e.id}: ${v}`),
    );
    expect(altered).toEqual([]);
  }, 180_000);

  it('archives every event with no secret fragment', async () => {
    const store = testArchiveStore(archivePrefix);
    const deadline = Date.now() + 120_000;
    let ours = new Map<string, string>();
    while (Date.now() < deadline) {
      ours = new Map(
        (await archivedEvents(store))
          .filter((a) => a.event.tenant_id === tenant)
          .map((a) => [a.event.id, readableText(a.event)]),
      );
      if (ours.size >= emitted.length) break;
      await sleep(1000);
    }
    expect(ours.size).toBe(emitted.length);
    const leaks = emitted.flatMap((e) => leakedFragments(e.secrets, ours.get(e.id) ?? ''));
    expect(leaks).toEqual([]);
  }, 180_000);

  it('streams every event to a live subscriber with no secret fragment', async () => {
    await subscriber.until(() => subscriber.events.length >= emitted.length, 120_000, 'every event');
    const frames = new Map(subscriber.events.map((f) => [f.event.id, JSON.stringify(f.event)]));
    expect(emitted.filter((e) => frames.has(e.id))).toHaveLength(emitted.length);
    expect(emitted.flatMap((e) => leakedFragments(e.secrets, frames.get(e.id) ?? ''))).toEqual([]);
  }, 180_000);

  it('keeps the clean topic free of every secret fragment', async () => {
    // Per event (by its header id): a public fragment one case shares with another (a
    // certificate's armour in base64) is no leak of the other's secret.
    const clean = new Map(
      (await readTopicSince(kafkaClient('redaction-e2e-clean'), TOPICS.clean, started)).map((m) => [
        m.message.headers?.[HEADERS.eventId]?.toString() ?? '',
        (m.message.value as Buffer).toString('utf8'),
      ]),
    );
    expect(emitted.filter((e) => clean.has(e.id))).toHaveLength(emitted.length);
    expect(emitted.flatMap((e) => leakedFragments(e.secrets, clean.get(e.id) ?? ''))).toEqual([]);
  }, 120_000);

  it('finds where a secret was seen with search --secret-value-file, never sending the secret', async () => {
    const probes = emitted.filter((e) => e.secrets.length > 0).slice(0, 40);
    const dir = mkdtempSync(join(tmpdir(), 'secret-value-'));
    let found = 0;
    for (const [i, probe] of probes.entries()) {
      const file = join(dir, `secret-${i}`);
      writeFileSync(file, `${probe.secrets[0]}\n`, { mode: 0o600 });
      const result = await runCli(
        ['search', '--secret-value-file', file, '--tenant', tenant, '--format', 'ndjson', '--size', '100'],
        { ...env, AUDITFLOW_QUERY_URL: `http://127.0.0.1:${portOf('query-api')}` },
      );
      expect(result.code, result.stderr).toBe(0);
      const ids = result.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { event: { id: string } }).event.id);
      if (ids.includes(probe.id)) found++;
    }
    // A secret found by a rule is replaced in its own marker, fingerprinted over exactly its
    // text: most probes match one for one. Some are replaced as part of a larger value (a
    // whole header, a pair's value), whose fingerprint is of that larger text.
    expect(found).toBeGreaterThanOrEqual(Math.ceil(probes.length / 2));
    const unknown = join(dir, 'unknown');
    writeFileSync(unknown, 'never-seen-value-0123456789\n', { mode: 0o600 });
    const none = await runCli(
      ['search', '--secret-value-file', unknown, '--tenant', tenant, '--format', 'ndjson'],
      {
        ...env,
        AUDITFLOW_QUERY_URL: `http://127.0.0.1:${portOf('query-api')}`,
      },
    );
    expect(none.stdout.trim()).toBe('');
  }, 240_000);
});
