import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEventInput } from '@auditflow/schemas';
import type { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { emitEvents } from '../../support/emit.ts';
import { sampleEvent } from '../../support/events.ts';
import { startDestinations, streamTopic, until } from './fixtures.ts';
import { selfSignedCert, startRsyslog, syslogListener, WebhookReceiver } from './receivers.ts';
import { parseRfc5424 } from './rfc5424.ts';

const NEW_SECRET = 'new-webhook-secret-0123456789';
const OLD_SECRET = 'old-webhook-secret-0123456789';
const run = Math.random().toString(36).slice(2, 8);

const metric = async (registry: Registry, name: string, destination: string): Promise<number> => {
  const m = (await registry.getSingleMetric(name)?.get())?.values.find(
    (v) => v.labels.destination === destination,
  );
  return m?.value ?? Number.NaN;
};

describe('push destinations against real Kafka and real receivers', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('webhook: signed batches, retried after 500s behind a circuit breaker, every event exactly once', async () => {
    const topic = await streamTopic('it.dest.webhook');
    // The receiver still holds the old secret: the rotation must not break it.
    const receiver = new WebhookReceiver(OLD_SECRET, { failFirst: 5 });
    const url = await receiver.listen();
    cleanups.push(() => receiver.close());
    const name = `hook-${run}`;
    const { destinations, registry } = await startDestinations(
      topic,
      `destinations:
  - name: ${name}
    type: webhook
    url: ${url}
    secrets: [${NEW_SECRET}, ${OLD_SECRET}]
    start: earliest
    batch_size: 40
    filters: { tenant_id: acme }
    retry: { initial_ms: 50, max_ms: 400 }
    breaker: { failures: 3, cooldown_ms: 500 }
`,
    );
    cleanups.push(() => destinations.stop());
    const input = Array.from({ length: 400 }, (_, i) =>
      sampleEvent(i, { tenant_id: i % 4 === 0 ? 'globex' : 'acme' }),
    );
    let sawDown = false;
    const watch = setInterval(() => {
      void metric(registry, 'auditflow_destination_up', name).then((v) => {
        if (v === 0) sawDown = true;
      });
    }, 50);
    const ids = await emitEvents(topic, input);
    const expected = ids.filter((_, i) => input[i]?.tenant_id === 'acme');
    await until(() => receiver.accepted.length >= expected.length, 90_000, 'every acme event at the webhook');
    clearInterval(watch);
    await sleep(1500); // a repeat would show now
    expect(receiver.badSignatures).toBe(0);
    expect(receiver.failures).toBe(5); // five 500s, each retried
    expect(receiver.requests).toBeGreaterThanOrEqual(5 + Math.ceil(expected.length / 40));
    const got = receiver.accepted.map((e) => e.id);
    expect(got).toHaveLength(expected.length); // nothing twice
    expect(new Set(got)).toEqual(new Set(expected)); // nothing lost, nothing outside the filter
    expect(receiver.accepted.every((e) => e.tenant_id === 'acme')).toBe(true);
    expect(sawDown).toBe(true); // the breaker opened and reported it
    expect(await metric(registry, 'auditflow_destination_up', name)).toBe(1);
    expect(await metric(registry, 'auditflow_destination_failures_total', name)).toBe(5);
    expect(await metric(registry, 'auditflow_destination_delivered_events_total', name)).toBe(
      expected.length,
    );
  });

  it('syslog: RFC 5424 over TLS (JSON) to a TLS listener, CEF over TCP to rsyslogd, OCSF over TCP', async () => {
    const topic = await streamTopic('it.dest.syslog');
    const cert = selfSignedCert();
    const tls = await syslogListener(cert);
    const ocsf = await syslogListener();
    const rsyslog = await startRsyslog();
    cleanups.push(
      () => tls.close(),
      () => ocsf.close(),
      () => rsyslog.stop(),
    );
    const { destinations } = await startDestinations(
      topic,
      `destinations:
  - { name: tls-${run}, type: syslog, host: 127.0.0.1, port: ${tls.port}, transport: tls, format: json, start: earliest, hostname: af-test, tls: { ca_file: ${cert.certFile} } }
  - { name: cef-${run}, type: syslog, host: 127.0.0.1, port: ${rsyslog.port}, transport: tcp, format: cef, start: earliest, batch_size: 50 }
  - { name: ocsf-${run}, type: syslog, host: 127.0.0.1, port: ${ocsf.port}, transport: tcp, format: ocsf, start: earliest, bom: false }
`,
    );
    cleanups.push(() => destinations.stop());
    const input: AuditEventInput[] = Array.from({ length: 200 }, (_, i) =>
      i % 5 === 0
        ? sampleEvent(i, {
            action: 'auth.login',
            category: 'authentication',
            outcome: i % 10 === 0 ? 'denied' : 'success',
          })
        : sampleEvent(i),
    );
    const ids = await emitEvents(topic, input);
    await until(() => tls.messages.length >= ids.length, 60_000, 'every event at the TLS listener');
    await until(() => rsyslog.lines().length >= ids.length, 60_000, 'every event in the rsyslog file');
    await until(() => ocsf.messages.length >= ids.length, 60_000, 'every event at the OCSF listener');
    await sleep(1000);

    // TLS + JSON, parsed strictly.
    const parsed = tls.messages.map(parseRfc5424);
    expect(parsed).toHaveLength(ids.length);
    const byId = new Map(ids.map((id, i) => [id, input[i] as AuditEventInput]));
    for (const m of parsed) {
      const event = JSON.parse(m.msg) as {
        id: string;
        action: string;
        occurred_at: string;
        tenant_id: string;
      };
      const sent = byId.get(event.id);
      expect(sent).toBeDefined();
      expect(m).toMatchObject({
        version: 1,
        facility: 13,
        hostname: 'af-test',
        appName: 'auditflow',
        msgId: event.action,
        bom: true,
      });
      expect(m.severity).toBe(sent?.outcome === 'denied' ? 5 : 6);
      expect(m.procId).toMatch(/^\d+$/);
      expect(m.timestamp).toBe(event.occurred_at);
      expect(m.structuredData[0]).toMatchObject({
        id: 'auditflow@32473',
        params: { id: event.id, tenant: event.tenant_id },
      });
    }
    expect(new Set(parsed.map((m) => m.structuredData[0]?.params.id))).toEqual(new Set(ids));

    // CEF over TCP, as rsyslogd parsed it.
    const lines = rsyslog.lines();
    expect(lines).toHaveLength(ids.length);
    for (const l of lines) {
      expect(l).toMatchObject({
        protocol: '1',
        app: 'auditflow',
        pri: expect.stringMatching(/^10[5-9]|11[0-1]$/),
      });
      expect(l.msg).toMatch(/^CEF:0\|Auditflow\|Auditflow\|[^|]+\|[a-z_.]+\|[a-z_.]+\|\d+\|/);
      expect(l.msgid).toBe(/^CEF:0(?:\|[^|]*){3}\|([^|]+)/.exec(l.msg ?? '')?.[1]);
    }
    const cefIds = lines.map((l) => /externalId=([0-9a-f-]+)/.exec(l.msg ?? '')?.[1]);
    expect(new Set(cefIds)).toEqual(new Set(ids));

    // OCSF: authentication events as class 3002, the rest as API Activity 6003.
    const classes = new Map<string, number>();
    for (const text of ocsf.messages) {
      const m = parseRfc5424(text);
      expect(m.bom).toBe(false);
      const o = JSON.parse(m.msg) as { class_uid: number; metadata: { uid: string }; activity_id: number };
      classes.set(o.metadata.uid, o.class_uid);
      if (o.class_uid === 3002) expect(o.activity_id).toBe(1);
    }
    expect(classes.size).toBe(ids.length);
    for (const [i, id] of ids.entries())
      expect(classes.get(id)).toBe(input[i]?.action === 'auth.login' ? 3002 : 6003);
  });

  it('restart: a destination stopped mid-stream and started again delivers everything exactly once', async () => {
    const topic = await streamTopic('it.dest.restart');
    const receiver = new WebhookReceiver(NEW_SECRET);
    const url = await receiver.listen();
    cleanups.push(() => receiver.close());
    const yaml = `destinations:
  - { name: restart-${run}, type: webhook, url: "${url}", secrets: [${NEW_SECRET}], start: earliest, batch_size: 20 }
`;
    const first = await startDestinations(topic, yaml);
    const input = Array.from({ length: 600 }, (_, i) => sampleEvent(i));
    // Paced, so the stop lands mid-stream.
    const emitted = emitEvents(topic, input, { perStep: 50, stepMs: 100 });
    await until(() => receiver.accepted.length >= 150, 60_000, '150 events before the stop');
    await first.destinations.stop();
    const atStop = receiver.accepted.length;
    await sleep(1000);
    expect(receiver.accepted.length).toBe(atStop); // really stopped
    const second = await startDestinations(topic, yaml);
    cleanups.push(() => second.destinations.stop());
    const ids = await emitted;
    expect(atStop).toBeLessThan(ids.length);
    await until(() => receiver.accepted.length >= ids.length, 90_000, 'every event after the restart');
    await sleep(1500);
    const got = receiver.accepted.map((e) => e.id);
    expect(got).toHaveLength(ids.length);
    expect(new Set(got)).toEqual(new Set(ids));
    expect(receiver.replays).toBe(0);
  });
});
