import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, type Gateway, resolveGatewayConfig, signBody } from '@auditflow/gateway';
import { createTopicsReady } from '@auditflow/processor-runtime';
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
      ],
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
