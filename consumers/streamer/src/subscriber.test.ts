import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { jsonEvent } from './destinations/test-event.ts';
import { type Framer, sseFramer } from './frames.ts';
import { decodePosition } from './position.ts';
import { fanOut, type Offer, type Sink, Subscriber } from './subscriber.ts';

const message = (offset: number): KafkaMessage =>
  ({ offset: String(offset), key: null, value: null, headers: {} }) as KafkaMessage;

function offer(offset: number, action: string): Offer {
  const event = jsonEvent({ action });
  return { partition: 0, offset, event, json: JSON.stringify(event), message: message(offset) };
}

function subscriber(framer: Framer, onRenderFailure?: (o: Offer, err: unknown) => void) {
  const written: string[] = [];
  const sink: Sink = { write: (f) => written.push(f) > -1, onDrain: () => {}, close: () => {} };
  const s = new Subscriber({
    scope: { requested: {}, forced: {} },
    start: new Map([[0, 0]]),
    handover: new Map([[0, 0]]),
    sink,
    framer,
    maxBuffered: 100,
    onRenderFailure,
  });
  return { s, written };
}

describe('a subscriber whose frame or filter throws for one event', () => {
  it('skips that event alone, reports it, and moves its position past it', () => {
    const failures: number[] = [];
    const framer: Framer = {
      ...sseFramer,
      event: (json, position) => {
        if (json.includes('hostile.event')) throw new RangeError('cannot frame this');
        return sseFramer.event(json, position);
      },
    };
    const { s, written } = subscriber(framer, (o) => failures.push(o.offset));
    for (const [i, action] of ['git.push', 'hostile.event', 'git.clone'].entries())
      s.offerLive(offer(i, action));
    expect(failures).toEqual([1]);
    expect(written).toHaveLength(2);
    expect(written[1]).toContain('git.clone');
    // A resume starts after the last record, so it does not meet the hostile one again.
    expect([...decodePosition(s.resumePosition)]).toEqual([[0, 3]]);
    expect(s.isClosed).toBe(false);
  });

  it('a throwing filter is contained the same way', () => {
    const failures: unknown[] = [];
    const written: string[] = [];
    // A hostile event whose shape breaks filter matching (a missing actor).
    const broken = {
      ...offer(0, 'git.push'),
      event: { ...jsonEvent(), actor: undefined },
    } as unknown as Offer;
    const scoped = new Subscriber({
      scope: { requested: { actor: ['ada'] }, forced: {} },
      start: new Map([[0, 0]]),
      handover: new Map([[0, 0]]),
      sink: { write: (f) => written.push(f) > -1, onDrain: () => {}, close: () => {} },
      framer: sseFramer,
      maxBuffered: 100,
      onRenderFailure: (_o, err) => failures.push(err),
    });
    scoped.offerLive(broken);
    scoped.offerLive({ ...offer(1, 'git.push'), event: jsonEvent({ actor: { type: 'user', id: 'ada' } }) });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(TypeError);
    expect(written).toHaveLength(1);
    expect(scoped.isClosed).toBe(false);
  });
});

describe('fanOut', () => {
  it('gives every subscriber its record even when one of them throws', () => {
    const got: string[] = [];
    const broken: string[] = [];
    fanOut(
      ['a', 'b', 'c'] as unknown as Subscriber[],
      (s) => {
        if ((s as unknown as string) === 'b') throw new Error('socket gone');
        got.push(s as unknown as string);
      },
      (s, err) => broken.push(`${s as unknown as string}: ${(err as Error).message}`),
    );
    expect(got).toEqual(['a', 'c']);
    expect(broken).toEqual(['b: socket gone']);
  });
});

describe('a slow subscriber is bounded in bytes as well as frames (L3, R3)', () => {
  /** A transport that took nothing since `blocked` was set. */
  function blockedSubscriber(maxBufferedBytes: number) {
    let blocked = false;
    let closed = false;
    const written: string[] = [];
    const sink: Sink = {
      write: (f) => {
        written.push(f);
        return !blocked;
      },
      onDrain: () => {},
      close: () => {
        closed = true;
      },
    };
    const s = new Subscriber({
      scope: { requested: {}, forced: {} },
      start: new Map([[0, 0]]),
      handover: new Map([[0, 0]]),
      sink,
      framer: sseFramer,
      maxBuffered: 1000,
      maxBufferedBytes,
    });
    return { s, written, block: () => (blocked = true), isClosed: () => closed };
  }
  const large = (offset: number): Offer => {
    const event = jsonEvent({ action: 'git.push', details: { blob: 'x'.repeat(10_000) } });
    return { partition: 0, offset, event, json: JSON.stringify(event), message: message(offset) };
  };

  it('overflows once its queued frames pass the byte bound, far below the frame bound', () => {
    const { s, written, block, isClosed } = blockedSubscriber(100_000);
    s.offerLive(large(0));
    block();
    s.offerLive(large(1)); // written, but the transport is full from now on
    let offset = 2;
    while (!s.isClosed && offset < 1000) s.offerLive(large(offset++));
    // About ten 10 KB frames fit in 100 KB; the frame bound (1000) is nowhere near.
    expect(offset).toBeGreaterThan(5);
    expect(offset).toBeLessThan(20);
    expect(isClosed()).toBe(true);
    expect(written.at(-1)).toContain('event: overflow');
    expect(s.bufferedBytes).toBe(0);
  });

  it('has no room for a catch-up reader once half the bytes are queued', () => {
    const { s, block } = blockedSubscriber(100_000);
    block();
    s.offerLive(large(0));
    let offset = 1;
    while (s.hasRoom) s.offerLive(large(offset++));
    expect(s.bufferedBytes).toBeGreaterThanOrEqual(50_000);
    expect(s.bufferedBytes).toBeLessThan(100_000);
    expect(s.isClosed).toBe(false);
  });

  it('takes a frame larger than the bound while the transport keeps up', () => {
    const { s, written } = blockedSubscriber(5_000);
    s.offerLive(large(0));
    expect(s.isClosed).toBe(false);
    expect(written).toHaveLength(1);
    expect(s.bufferedBytes).toBe(0);
  });
});
