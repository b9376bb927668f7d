import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { emitEvents } from '../../support/emit.ts';
import { benchEvent } from '../../support/events.ts';
import { ALL_TOKEN, type RunningStreamer, startStreamer, streamTopic } from './fixtures.ts';
import { SseClient } from './sse-client.ts';

describe('streamer: a slow subscriber is bounded in bytes as well as frames (L3, R3)', () => {
  const running: RunningStreamer[] = [];
  const closers: (() => void)[] = [];
  afterAll(async () => {
    for (const c of closers) c();
    await Promise.all(running.map((r) => r.stop()));
  });

  it('overflows at the byte bound long before the frame bound, and a resume loses and repeats nothing', async () => {
    const topic = await streamTopic('it.stream.bytes');
    // A frame bound nothing reaches here; 256 KB of queued frames is the bound that holds.
    const s = await startStreamer(topic, {
      maxBuffered: 1_000_000,
      maxBufferedBytes: 256 * 1024,
      socketBufferBytes: 64 * 1024,
    });
    running.push(s);
    const slow = await SseClient.open(`${s.url}/v1/stream`, ALL_TOKEN);
    closers.push(() => slow.close());
    slow.pause();
    // ~1.2 KB each, 12 MB: beyond what the loopback socket buffers (kernel and Node) take.
    const total = 10_000;
    const ids = await emitEvents(
      topic,
      Array.from({ length: total }, (_, i) => benchEvent(i)),
      // Paced (~2000 events/s) so that the live feed keeps up: a resume made while the live feed
      // still works through a burst holds what the feed reads meanwhile, within the same bound.
      { perStep: 100, stepMs: 50 },
    );
    slow.resume();
    await slow.until(() => slow.ended, 60_000, 'the slow subscriber to be disconnected');
    const overflow = slow.frames.at(-1);
    expect(overflow?.event).toBe('overflow');
    expect(await s.registry.metrics()).toMatch(/auditflow_streamer_overflows_total\{transport="sse"\} 1/);
    expect(slow.events.length).toBeLessThan(total);
    const position = JSON.parse(overflow?.data ?? '{}').position as string;
    await sleep(2000);
    const rest = await SseClient.open(`${s.url}/v1/stream?since=${position}`, ALL_TOKEN);
    closers.push(() => rest.close());
    await rest.until(() => slow.events.length + rest.events.length >= total, 90_000, 'the rest');
    await sleep(1000);
    const seen = [...slow.events, ...rest.events].map((e) => e.event.id);
    expect(seen).toHaveLength(total);
    expect(new Set(seen)).toEqual(new Set(ids));
  });
});
