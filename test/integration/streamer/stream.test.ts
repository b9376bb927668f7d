import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { emitEvents } from '../../support/emit.ts';
import { sampleEvent } from '../../support/events.ts';
import { ALL_TOKEN, GLOBEX_TOKEN, type RunningStreamer, startStreamer, streamTopic } from './fixtures.ts';
import { SseClient } from './sse-client.ts';

const tenantOf = (i: number): string => (i % 3 === 0 ? 'globex' : 'acme');
const events = (from: number, n: number) =>
  Array.from({ length: n }, (_, k) => sampleEvent(from + k, { tenant_id: tenantOf(from + k) }));

describe('streamer: live SSE subscribers against real Kafka', () => {
  const running: RunningStreamer[] = [];
  const clients: SseClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(running.map((r) => r.stop()));
  });
  const open = async (url: string, token: string | undefined, headers?: Record<string, string>) => {
    const c = await SseClient.open(url, token, headers);
    clients.push(c);
    return c;
  };

  it('a filtered subscriber gets exactly the events that match, with a resume position on each', async () => {
    const topic = await streamTopic('it.stream.filter');
    const s = await startStreamer(topic);
    running.push(s);
    const filtered = await open(
      `${s.url}/v1/stream?action=git.*&action=agent.flow.started&outcome=success&tenant_id=acme`,
      ALL_TOKEN,
    );
    const everything = await open(`${s.url}/v1/stream`, ALL_TOKEN);
    expect(filtered.status).toBe(200);
    const input = events(0, 300);
    const ids = await emitEvents(topic, input);
    const expected = ids.filter((_, i) => {
      const e = input[i];
      return (
        e !== undefined &&
        (e.action.startsWith('git.') || e.action === 'agent.flow.started') &&
        e.outcome === 'success' &&
        e.tenant_id === 'acme'
      );
    });
    expect(expected.length).toBeGreaterThan(50);
    expect(expected.length).toBeLessThan(300);
    await everything.until(() => everything.events.length >= 300, 60_000, 'all 300 events');
    await filtered.until(() => filtered.events.length >= expected.length, 30_000, 'the filtered events');
    await sleep(1000); // anything extra would show now
    expect(new Set(filtered.events.map((e) => e.event.id))).toEqual(new Set(expected));
    expect(filtered.events).toHaveLength(expected.length);
    expect(everything.events).toHaveLength(300);
    for (const e of filtered.events) expect(e.id).toMatch(/^[A-Za-z0-9_-]+$/);
    // The JSON form of the SPEC, field names exactly.
    const first = JSON.parse(filtered.frames.find((f) => f.event === 'message')?.data ?? '{}');
    expect(Object.keys(first)).toEqual(
      expect.arrayContaining([
        'id',
        'occurred_at',
        'action',
        'actor',
        'target',
        'outcome',
        'tenant_id',
        'service',
      ]),
    );
    const metrics = await s.registry.metrics();
    expect(metrics).toMatch(/auditflow_streamer_subscribers\{transport="sse"\} 2/);
  });

  it('isolates tenants: 401 without or with an unknown token, 403 outside scope, never another tenant', async () => {
    const topic = await streamTopic('it.stream.tenant');
    const s = await startStreamer(topic);
    running.push(s);
    expect((await open(`${s.url}/v1/stream`, undefined)).status).toBe(401);
    expect((await open(`${s.url}/v1/stream`, 'not-a-known-token-at-all')).status).toBe(401);
    expect((await open(`${s.url}/v1/stream?tenant_id=acme`, GLOBEX_TOKEN)).status).toBe(403);
    expect((await open(`${s.url}/v1/stream?tenant_id=globex&tenant_id=acme`, GLOBEX_TOKEN)).status).toBe(403);
    const globex = await open(`${s.url}/v1/stream`, GLOBEX_TOKEN);
    const globexExplicit = await open(`${s.url}/v1/stream?tenant_id=globex`, GLOBEX_TOKEN);
    expect(globex.status).toBe(200);
    const input = events(0, 120);
    const ids = await emitEvents(topic, input);
    const expected = ids.filter((_, i) => input[i]?.tenant_id === 'globex');
    await globex.until(() => globex.events.length >= expected.length, 30_000, 'globex events');
    await globexExplicit.until(
      () => globexExplicit.events.length >= expected.length,
      30_000,
      'globex events',
    );
    await sleep(1000);
    expect(globex.events.map((e) => e.event.id).sort()).toEqual([...expected].sort());
    expect(globex.events.every((e) => e.event.tenant_id === 'globex')).toBe(true);
    expect(globexExplicit.events).toHaveLength(expected.length);
  });

  it('resumes after a disconnect with Last-Event-ID: no gap, no repeat, then live', async () => {
    const topic = await streamTopic('it.stream.resume');
    const s = await startStreamer(topic);
    running.push(s);
    const first = await open(`${s.url}/v1/stream?tenant_id=acme`, ALL_TOKEN);
    const input = events(0, 600);
    const ids = await emitEvents(topic, input.slice(0, 300));
    const acme = (from: number, to: number) =>
      ids.slice(from, to).filter((_, i) => input[from + i]?.tenant_id === 'acme');
    await first.until(() => first.events.length >= 50, 30_000, '50 events');
    first.close(); // mid-stream: some of the 300 were not read
    const got = first.events;
    const last = got.at(-1)?.id as string;
    // Written while nobody listens.
    ids.push(...(await emitEvents(topic, input.slice(300, 450))));
    const again = await open(`${s.url}/v1/stream?tenant_id=acme`, ALL_TOKEN, { 'last-event-id': last });
    expect(again.status).toBe(200);
    // And live again after the catch-up.
    ids.push(...(await emitEvents(topic, input.slice(450, 600))));
    const all = acme(0, 600);
    await again.until(() => got.length + again.events.length >= all.length, 60_000, 'every acme event');
    await sleep(1500);
    const seen = [...got, ...again.events].map((e) => e.event.id);
    expect(seen).toHaveLength(all.length); // no repeat
    expect(new Set(seen)).toEqual(new Set(all)); // no gap
    expect(s.hub.subscriberCount).toBe(1);
  });

  it('resumes from ?since=<ISO time> with every event after that time', async () => {
    const topic = await streamTopic('it.stream.since');
    const s = await startStreamer(topic);
    running.push(s);
    await emitEvents(topic, events(0, 60));
    await sleep(1200);
    const cut = new Date().toISOString();
    await sleep(200);
    const after = await emitEvents(topic, events(60, 90));
    const c = await open(`${s.url}/v1/stream?since=${encodeURIComponent(cut)}`, ALL_TOKEN);
    await c.until(() => c.events.length >= after.length, 60_000, 'events after the cut');
    await sleep(1000);
    expect(c.events.map((e) => e.event.id).sort()).toEqual([...after].sort());
  });

  it('sends heartbeats on an idle connection', async () => {
    const topic = await streamTopic('it.stream.heartbeat');
    const s = await startStreamer(topic, { heartbeatMs: 300 });
    running.push(s);
    const c = await open(`${s.url}/v1/stream`, ALL_TOKEN);
    await c.until(() => c.comments >= 3, 10_000, 'three heartbeats');
    expect(c.comments).toBeGreaterThanOrEqual(3);
  });
});
