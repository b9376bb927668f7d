import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { emitEvents } from '../../support/emit.ts';
import { benchEvent, sampleEvent } from '../../support/events.ts';
import { ALL_TOKEN, GLOBEX_TOKEN, type RunningStreamer, startStreamer, streamTopic } from './fixtures.ts';
import { SseClient } from './sse-client.ts';

interface WsMessage {
  type: string;
  position?: string;
  event?: { id: string; tenant_id: string };
}

/** A WebSocket subscriber that records every message. */
async function wsOpen(
  url: string,
  token: string,
  first?: object,
): Promise<{ ws: WebSocket; got: WsMessage[] }> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const got: WsMessage[] = [];
  ws.on('message', (data) => got.push(JSON.parse(String(data)) as WsMessage));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  if (first) ws.send(JSON.stringify(first));
  return { ws, got };
}

/** A subscriber in its own process (keeps up for real); collects event ids. */
function childSubscriber(url: string, token: string) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=auditflow-source',
      fileURLToPath(new URL('./sse-child.ts', import.meta.url)),
      url,
      token,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const ids: string[] = [];
  const latencies: number[] = [];
  let status = 0;
  let ended = false;
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('status ')) status = Number(line.slice(7));
    else if (line === 'end') ended = true;
    else {
      const [, id, latency] = line.split(' ');
      ids.push(id as string);
      latencies.push(Number(latency));
    }
  });
  return {
    ids,
    latencies,
    status: () => status,
    ended: () => ended,
    kill: () => child.kill(),
  };
}

async function until(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('streamer: slow subscribers and WebSocket against real Kafka', () => {
  const running: RunningStreamer[] = [];
  const closers: (() => void)[] = [];
  afterAll(async () => {
    for (const c of closers) c();
    await Promise.all(running.map((r) => r.stop()));
  });

  it('a subscriber that stops reading gets an overflow message with a position; a fast one keeps up', async () => {
    const topic = await streamTopic('it.stream.slow');
    const s = await startStreamer(topic, { maxBuffered: 1000, socketBufferBytes: 256 * 1024 });
    running.push(s);
    const fast = childSubscriber(`${s.url}/v1/stream`, ALL_TOKEN);
    closers.push(() => fast.kill());
    await until(() => fast.status() === 200, 30_000, 'the fast subscriber to connect');
    const slow = await SseClient.open(`${s.url}/v1/stream`, ALL_TOKEN);
    closers.push(() => slow.close());
    slow.pause(); // stops reading: the kernel buffers fill, then 256 KB in Node, then the server's queue of 1000
    const total = 6000; // ~1.2 KB each: far more than socket buffers hold
    // Paced like a busy pipeline (~2000 events/s), not one burst: "keeps up" means with the
    // pipeline's rate, and the fast subscriber shares two cores with the streamer and the SDK.
    const ids = await emitEvents(
      topic,
      Array.from({ length: total }, (_, i) => benchEvent(i)),
      { perStep: 100, stepMs: 50 },
    );
    await until(
      () => fast.ids.length >= total || fast.ended(),
      90_000,
      'the fast subscriber to get everything',
    );
    await sleep(500);
    expect(fast.ended()).toBe(false);
    expect(fast.ids).toHaveLength(total);
    expect(new Set(fast.ids)).toEqual(new Set(ids));
    // Its latency (SDK emit to arrival) stayed low while the slow one was backed up.
    const sorted = [...fast.latencies].sort((a, b) => a - b);
    const p99 = sorted[Math.ceil(sorted.length * 0.99) - 1] as number;
    expect(p99).toBeLessThan(2000);
    const metrics = await s.registry.metrics();
    expect(metrics).toMatch(/auditflow_streamer_overflows_total\{transport="sse"\} 1/);
    // The slow one reads what it was given: events, then the overflow frame, then the end.
    slow.resume();
    await slow.until(() => slow.ended, 30_000, 'the slow subscriber to be disconnected');
    const overflow = slow.frames.at(-1);
    expect(overflow?.event).toBe('overflow');
    const position = JSON.parse(overflow?.data ?? '{}').position as string;
    expect(position).toBe(overflow?.id);
    expect(slow.events.length).toBeLessThan(total);
    // Resuming from the overflow position: the rest, nothing twice.
    const rest = await SseClient.open(`${s.url}/v1/stream?since=${position}`, ALL_TOKEN);
    closers.push(() => rest.close());
    await rest.until(() => slow.events.length + rest.events.length >= total, 90_000, 'the rest');
    await sleep(1000);
    const seen = [...slow.events, ...rest.events].map((e) => e.event.id);
    expect(seen).toHaveLength(total);
    expect(new Set(seen)).toEqual(new Set(ids));
  });

  it('WebSocket: filtered live events, then a resume message picks up after the last one', async () => {
    const topic = await streamTopic('it.stream.ws');
    const s = await startStreamer(topic);
    running.push(s);
    const wsUrl = `${s.url.replace('http', 'ws')}/v1/ws?tenant_id=acme`;
    const first = await wsOpen(wsUrl, ALL_TOKEN, { type: 'subscribe' });
    closers.push(() => first.ws.terminate());
    await sleep(300);
    const input = Array.from({ length: 400 }, (_, i) =>
      sampleEvent(i, { tenant_id: i % 2 ? 'acme' : 'globex' }),
    );
    const ids = await emitEvents(topic, input.slice(0, 200));
    await until(() => first.got.length >= 30, 30_000, '30 websocket events');
    first.ws.terminate();
    await sleep(200);
    const got = first.got.filter((m) => m.type === 'event');
    const last = got.at(-1)?.position as string;
    ids.push(...(await emitEvents(topic, input.slice(200, 400))));
    const acme = ids.filter((_, i) => input[i]?.tenant_id === 'acme');
    const second = await wsOpen(wsUrl, ALL_TOKEN, { type: 'resume', position: last });
    closers.push(() => second.ws.terminate());
    await until(() => got.length + second.got.length >= acme.length, 60_000, 'every acme event');
    await sleep(1000);
    const seen = [...got, ...second.got.filter((m) => m.type === 'event')].map((m) => m.event?.id);
    expect(seen).toHaveLength(acme.length);
    expect(new Set(seen)).toEqual(new Set(acme));
    expect(seen.every((id) => id !== undefined)).toBe(true);
  });

  it('WebSocket: 401 without a valid token, 403 outside the token tenants', async () => {
    const topic = await streamTopic('it.stream.wsauth');
    const s = await startStreamer(topic);
    running.push(s);
    const status = (url: string, token?: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.terminate();
          resolve(101);
        });
        ws.on('error', () => {});
      });
    const base = `${s.url.replace('http', 'ws')}/v1/ws`;
    expect(await status(base)).toBe(401);
    expect(await status(base, 'wrong-token-wrong-token')).toBe(401);
    expect(await status(`${base}?tenant_id=acme`, GLOBEX_TOKEN)).toBe(403);
    expect(await status(`${base}?tenant_id=globex`, GLOBEX_TOKEN)).toBe(101);
  });
});
