import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGateway, type Gateway, resolveGatewayConfig, signBody } from '@auditflow/gateway';
import { createTopicsReady } from '@auditflow/kafka';
import { type AuditProducer, createAuditProducer } from '@auditflow/producer';
import { type AuditEvent, auditEventType } from '@auditflow/schemas';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeAll } from '../../support/consume.ts';
import { endpoints, kafkaClient, unique } from '../../support/endpoints.ts';
import { sampleEvent } from '../../support/events.ts';

const TOKEN = 'tok_gateway_test_0123456789';
const HMAC = 'sec_gateway_test_0123456789';
const ANY_TENANT = 'tok_any_tenant_0123456789';
const FAILURE_INTERVAL_S = 1;

interface Refusal {
  events: { index: number; errors: { field: string; rule: string; message: string }[] }[];
}

describe('HTTP ingest gateway against real Kafka', () => {
  const topic = unique('it.gateway');
  let producer: AuditProducer;
  let gateway: Gateway;
  let url: string;

  beforeAll(async () => {
    const admin = kafkaClient('gateway-test').admin();
    await admin.connect();
    await createTopicsReady(admin, [{ topic, numPartitions: 2 }]);
    await admin.disconnect();
    const registry = new Registry();
    producer = createAuditProducer(
      {
        brokers: endpoints().KAFKA_BROKERS.split(','),
        schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL,
        topic,
        spool: { dir: mkdtempSync(join(tmpdir(), 'gateway-spool-')) },
      },
      { logger: pino({ level: 'silent' }), metricsRegistry: registry },
    );
    const config = resolveGatewayConfig({
      port: 0,
      clients: [
        { id: 'ci-bot', token: TOKEN, tenants: ['acme'] },
        { id: 'webhook-src', hmacSecret: HMAC, tenants: ['acme'] },
        { id: 'tiny', token: 'tok_tiny_limit_0123456789', tenants: ['acme'], eventsPerSecond: 1, burst: 3 },
        { id: 'any-tenant', token: ANY_TENANT, tenants: [] },
        { id: 'flooder', hmacSecret: 'sec_flooder_0123456789', tenants: ['acme'] },
      ],
      authFailureIntervalSeconds: FAILURE_INTERVAL_S,
    });
    gateway = createGateway({ config, producer, logger: pino({ level: 'silent' }), registry });
    const address = await gateway.listen();
    url = `http://127.0.0.1:${address.port}`;
  });

  afterAll(async () => {
    await gateway.close();
    await producer.close();
  });

  const post = (body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
      body,
    });

  /** HMAC headers per the README: v1=HMAC(secret, "<timestamp>.<nonce>.<body>"), a fresh nonce. */
  const hmacHeaders = (
    client: string,
    secret: string,
    body: Buffer,
    ts = String(Math.floor(Date.now() / 1000)),
  ) => {
    const nonce = randomUUID();
    return {
      authorization: '',
      'x-auditflow-client': client,
      'x-auditflow-timestamp': ts,
      'x-auditflow-nonce': nonce,
      'x-auditflow-signature': signBody(secret, ts, nonce, body),
    };
  };

  const delivered = async (): Promise<AuditEvent[]> => {
    await producer.flush();
    return (await consumeAll(topic)).map(
      (m) => auditEventType.fromBuffer((m.message.value as Buffer).subarray(5)) as AuditEvent,
    );
  };

  it('answers 202 with ids for one event and for a batch, once they are in Kafka or fsynced', async () => {
    const one = await post(JSON.stringify(sampleEvent(1, { correlation_id: 'gw-1' })));
    expect(one.status).toBe(202);
    const {
      ids: [id],
    } = (await one.json()) as { ids: string[] };
    const batch = await post(JSON.stringify([sampleEvent(2), sampleEvent(3), sampleEvent(4)]));
    expect(batch.status).toBe(202);
    const { ids } = (await batch.json()) as { ids: string[] };
    expect(ids).toHaveLength(3);
    const events = await delivered();
    const byId = new Map(events.map((e) => [e.id, e]));
    expect(byId.get(id as string)?.correlation_id).toBe('gw-1');
    for (const batchId of ids) expect(byId.has(batchId)).toBe(true);
  });

  it('accepts an HMAC-signed body and refuses a replay outside the window', async () => {
    const body = Buffer.from(JSON.stringify(sampleEvent(5)));
    const ok = await post(body, hmacHeaders('webhook-src', HMAC, body));
    expect(ok.status).toBe(202);
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    const replay = await post(body, hmacHeaders('webhook-src', HMAC, body, old));
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { message: string }).message).toMatch(/window/);
  });

  it('refuses a replayed signature inside the window (same nonce), and lets none of it reach Kafka', async () => {
    const event = sampleEvent(50, { correlation_id: unique('replayed') });
    const body = Buffer.from(JSON.stringify(event));
    const headers = hmacHeaders('webhook-src', HMAC, body);
    expect((await post(body, headers)).status).toBe(202);
    const again = await post(body, headers);
    expect(again.status).toBe(401);
    expect(((await again.json()) as { message: string }).message).toMatch(/nonce already used/);
    const copies = (await delivered()).filter((e) => e.correlation_id === event.correlation_id);
    expect(copies).toHaveLength(1);
  });

  it('refuses bad input with the right status and lets none of it reach Kafka', async () => {
    const before = (await delivered()).filter((e) => !e.action.startsWith('auth.')).length;
    const wrongTypes = await post(
      JSON.stringify({ ...sampleEvent(6), outcome: 42, actor: { type: 'user' } }),
    );
    expect(wrongTypes.status).toBe(400);
    const errors = (await wrongTypes.json()) as {
      events: { index: number; errors: { field: string; rule: string }[] }[];
    };
    const fields = errors.events[0]?.errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['outcome', 'actor.id']));

    const missing = await post(JSON.stringify({ action: 'git.push' }));
    expect(missing.status).toBe(400);
    const halfBad = await post(JSON.stringify([sampleEvent(7), { ...sampleEvent(8), action: 'NOT VALID' }]));
    expect(halfBad.status).toBe(400);
    expect(((await halfBad.json()) as { events: { index: number }[] }).events.map((e) => e.index)).toEqual([
      1,
    ]);

    const huge = await post(Buffer.alloc(10 * 2 ** 20, 0x20));
    expect(huge.status).toBe(413);
    const invalidJson = await post('{"action": "git.push",');
    expect(invalidJson.status).toBe(400);
    expect(((await invalidJson.json()) as { error: string }).error).toBe('invalid_json');
    const invalidUtf8 = await post(
      Buffer.concat([Buffer.from('{"action":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
    );
    expect(invalidUtf8.status).toBe(400);
    expect(((await invalidUtf8.json()) as { error: string }).error).toBe('invalid_utf8');
    const otherTenant = await post(JSON.stringify(sampleEvent(9, { tenant_id: 'globex' })));
    expect(otherTenant.status).toBe(403);
    const noToken = await post(JSON.stringify(sampleEvent(10)), { authorization: '' });
    expect(noToken.status).toBe(401);
    const badToken = await post(JSON.stringify(sampleEvent(11)), {
      authorization: 'Bearer wrong-token-value',
    });
    expect(badToken.status).toBe(401);

    const after = (await delivered()).filter((e) => !e.action.startsWith('auth.')).length;
    expect(after).toBe(before);
  });

  it('rate-limits per client with 429 and Retry-After', async () => {
    const headers = { authorization: 'Bearer tok_tiny_limit_0123456789' };
    const first = await post(JSON.stringify([sampleEvent(1), sampleEvent(2), sampleEvent(3)]), headers);
    expect(first.status).toBe(202);
    const second = await post(JSON.stringify(sampleEvent(4)), headers);
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('audits its own authentication decisions with client, source IP and reason', async () => {
    const events = await delivered();
    const rejected = events.filter((e) => e.action === 'auth.token.rejected');
    const accepted = events.filter((e) => e.action === 'auth.token.accepted');
    const hmacInvalid = events.filter((e) => e.action === 'auth.webhook.hmac_invalid');
    expect(accepted.length).toBeGreaterThan(0);
    expect(rejected.length).toBeGreaterThanOrEqual(2);
    expect(hmacInvalid.map((e) => JSON.parse(e.details as string).reason)).toEqual(
      expect.arrayContaining(['timestamp outside the 300s window', 'nonce already used (replayed request)']),
    );
    // The gateway's own events are the pipeline's: its tenant, stamped as the SDK's.
    expect(new Set(events.filter((e) => e.action.startsWith('auth.')).map((e) => e.tenant_id))).toEqual(
      new Set(['auditflow']),
    );
    expect(rejected[0]?.actor.ip).toMatch(/127\.0\.0\.1/);
    expect(rejected.map((e) => JSON.parse(e.details as string).reason)).toEqual(
      expect.arrayContaining(['no credentials', 'unknown token']),
    );
    // The credential itself is never in the audit record.
    expect(JSON.stringify(events)).not.toContain('wrong-token-value');
    expect(JSON.stringify(events)).not.toContain(TOKEN);
  });

  it('stamps the authenticated client as the origin and overwrites a forged one', async () => {
    const correlation = unique('forged');
    const before = Date.now();
    const forged = {
      ...sampleEvent(60, { correlation_id: correlation }),
      ingest: { via: 'sdk', client_id: 'someone-else', received_at: '2020-01-01T00:00:00Z' },
    };
    const response = await post(JSON.stringify(forged));
    expect(response.status).toBe(202);
    const event = (await delivered()).find((e) => e.correlation_id === correlation);
    expect(event?.ingest?.via).toBe('gateway');
    expect(event?.ingest?.client_id).toBe('ci-bot');
    expect(event?.ingest?.received_at).toBeGreaterThanOrEqual(before);
    expect(event?.ingest?.received_at).toBeLessThanOrEqual(Date.now());
  });

  it("refuses the pipeline's own tenant and audit.* actions with 400 naming field and rule", async () => {
    const any = { authorization: `Bearer ${ANY_TENANT}` };
    const tenant = await post(JSON.stringify(sampleEvent(61, { tenant_id: 'auditflow' })), any);
    expect(tenant.status).toBe(400);
    expect(((await tenant.json()) as Refusal).events[0]?.errors).toEqual([
      expect.objectContaining({ field: 'tenant_id', rule: 'reserved_tenant' }),
    ]);
    for (const action of ['audit.log.exported', 'audit.archive.deleted']) {
      const forged = await post(JSON.stringify(sampleEvent(62, { action })));
      expect(forged.status).toBe(400);
      expect(((await forged.json()) as Refusal).events[0]?.errors).toEqual([
        expect.objectContaining({ field: 'action', rule: 'reserved_action' }),
      ]);
    }
  });

  it('refuses occurred_at far in the future or the past with 400 naming the field; accepts late data inside the window', async () => {
    const cases = [
      ['2999-01-01T00:00:00Z', 'occurred_at_ahead'],
      [new Date(Date.now() + 25 * 3_600_000).toISOString(), 'occurred_at_ahead'],
      ['1999-01-01T00:00:00Z', 'occurred_at_behind'],
      [new Date(Date.now() - 31 * 86_400_000).toISOString(), 'occurred_at_behind'],
    ] as const;
    for (const [occurredAt, rule] of cases) {
      const response = await post(JSON.stringify(sampleEvent(63, { occurred_at: occurredAt })));
      expect(response.status, occurredAt).toBe(400);
      expect(((await response.json()) as Refusal).events[0]?.errors).toEqual([
        expect.objectContaining({ field: 'occurred_at', rule }),
      ]);
    }
    const correlation = unique('late');
    const late = new Date(Date.now() - 29 * 86_400_000).toISOString();
    expect(
      (await post(JSON.stringify(sampleEvent(64, { occurred_at: late, correlation_id: correlation }))))
        .status,
    ).toBe(202);
    const event = (await delivered()).find((e) => e.correlation_id === correlation);
    expect(event?.occurred_at).toBe(Date.parse(late));
    // Downstream routes by the receipt time, which is now.
    expect(Date.now() - (event?.ingest?.received_at ?? 0)).toBeLessThan(60_000);
  });

  it('refuses the 128-character CJK tenant id with 400 naming tenant_id', async () => {
    const tenant = '租户'.repeat(64);
    const response = await post(JSON.stringify(sampleEvent(65, { tenant_id: tenant })), {
      authorization: `Bearer ${ANY_TENANT}`,
    });
    expect(response.status).toBe(400);
    const errors = ((await response.json()) as Refusal).events[0]?.errors ?? [];
    expect(errors.map((e) => [e.field, e.rule])).toEqual([
      ['tenant_id', 'max_bytes'],
      ['tenant_id', 'pattern'],
    ]);
  });

  it('answers a 5 MB body without credentials with 401 before the body is sent', async () => {
    /** Sends the headers of a 5 MiB request and its first 64 KiB; resolves with what comes back within `waitMs`. */
    const partialRequest = async (extraHeaders: string, waitMs: number): Promise<string> => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      await once(socket, 'connect');
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
      });
      socket.on('error', () => {});
      socket.write(
        `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${extraHeaders}Content-Length: ${5 * 2 ** 20}\r\n\r\n`,
      );
      socket.write(Buffer.alloc(64 * 1024, 0x20));
      const deadline = Date.now() + waitMs;
      while (!received.includes('\r\n\r\n') && Date.now() < deadline) await sleep(20);
      socket.destroy();
      return received;
    };
    const unauthenticated = await partialRequest('', 10_000);
    expect(unauthenticated).toMatch(/^HTTP\/1\.1 401 /);
    expect(unauthenticated.toLowerCase()).toContain('connection: close');
    // The control: an authenticated request gets no answer until its body is complete.
    expect(await partialRequest(`Authorization: Bearer ${TOKEN}\r\n`, 500)).toBe('');
  });

  it('aggregates a flood of failed authentications into a bounded number of audit events with counts', async () => {
    const flood = 400;
    const body = Buffer.from(JSON.stringify(sampleEvent(66)));
    const started = Date.now();
    const statuses: number[] = [];
    for (let sent = 0; sent < flood; sent += 50) {
      const wave = Array.from({ length: 50 }, () =>
        post(body, hmacHeaders('flooder', 'sec_wrong_secret_0123456789', body)).then((r) => r.status),
      );
      statuses.push(...(await Promise.all(wave)));
    }
    const elapsedS = (Date.now() - started) / 1000;
    expect(new Set(statuses)).toEqual(new Set([401]));
    // In emit order (they spread over partitions): the gateway's producer numbers them.
    const floodEvents = async () =>
      (await delivered())
        .filter((e) => e.action === 'auth.webhook.hmac_invalid' && e.actor.id === 'flooder')
        .sort((a, b) => a.producer.sequence - b.producer.sequence);
    const counted = (events: AuditEvent[]) =>
      events.reduce((sum, e) => sum + (JSON.parse(e.details as string) as { count: number }).count, 0);
    let events = await floodEvents();
    for (const deadline = Date.now() + 30_000; counted(events) < flood && Date.now() < deadline; ) {
      await sleep(500);
      events = await floodEvents();
    }
    // Every failure is accounted for, in one event per interval (plus the first, at once).
    expect(counted(events)).toBe(flood);
    expect(events.length).toBeLessThanOrEqual(2 + Math.ceil(elapsedS / FAILURE_INTERVAL_S));
    expect(events.length).toBeLessThan(flood / 20);
    expect(JSON.parse(events[0]?.details as string)).toMatchObject({
      reason: 'signature mismatch',
      count: 1,
    });
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/audit_log_entries_total\{action="git.push",outcome="[a-z]+"\} \d+/);
    expect(metrics).toMatch(/auditflow_gateway_requests_total\{route="events",status="413"\} 1/);
    expect(metrics).toMatch(/^audit_spool_depth_events \d+/m);
    expect(metrics).toMatch(/^audit_spool_bytes \d+/m);
  });
});
