import { DecodeError, RegistryUnavailableError, type WireCodec } from '@auditflow/kafka';
import type { AuditEvent, AuditEventJson } from '@auditflow/schemas';
import { fakeKafka } from '@auditflow/stage/testing';
import type { KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { DeadLetters } from '../dead-letters.ts';
import { type DestinationConfig, destinationsFileSchema } from './config.ts';
import { destinationMetrics } from './metrics.ts';
import { DestinationRunner } from './runner.ts';
import { type Delivery, DeliveryError, type Sender } from './sender.ts';
import { avroEvent } from './test-event.ts';

/**
 * The runner's record handling with the Kafka and HTTP ends replaced (pure logic: which records
 * are delivered, dead-lettered, retried, committed); the same paths run against real Kafka and a
 * real receiver in test/integration/streamer/poison.test.ts.
 */

const TOPIC = 'audit.clean.v1';

function config(overrides: Record<string, unknown> = {}): DestinationConfig {
  return destinationsFileSchema.parse({
    destinations: [
      {
        name: 'siem',
        type: 'webhook',
        url: 'http://127.0.0.1:9/hook',
        secrets: ['0123456789abcdef0123'],
        batch_size: 8,
        retry: { initial_ms: 10, max_ms: 100 },
        breaker: { failures: 100, cooldown_ms: 100 },
        ...overrides,
      },
    ],
  }).destinations[0] as DestinationConfig;
}

/** Record values are a test's own tags: `ok:<action>`, `bad:<reason>`, `down`. */
const codec = {
  decode: async (value: Buffer | null): Promise<AuditEvent> => {
    const text = value?.toString() ?? '';
    if (text.startsWith('bad:')) throw new DecodeError('wrong_magic_byte', 'first byte is 123, not 0');
    if (text === 'down') throw new RegistryUnavailableError('schema registry unreachable');
    if (text === 'far-future') return { ...avroEvent(), occurred_at: 9e15 };
    return avroEvent({ action: text.slice(3), id: undefined });
  },
} as unknown as WireCodec;

class FakeSender implements Sender {
  readonly delivered: string[][] = [];
  readonly ids: string[] = [];
  requests = 0;
  /** Answers for the next requests, in order (`ok` once they run out). */
  constructor(private readonly answers: (number | 'ok')[] = []) {}
  render(event: AuditEventJson, json: string): string {
    if (event.action === 'render.fails') throw new TypeError('cannot read properties of undefined');
    return json;
  }
  async send(delivery: Delivery, signal: AbortSignal): Promise<void> {
    this.requests++;
    signal.throwIfAborted();
    const actions = delivery.items.map((i) => (JSON.parse(i) as AuditEventJson).action);
    if (actions.includes('refused.by.receiver')) throw new DeliveryError('the receiver answered 422', 422);
    const answer = this.answers.shift() ?? 'ok';
    if (answer !== 'ok') throw new DeliveryError(`the receiver answered ${answer}`, answer);
    this.delivered.push(actions);
    this.ids.push(delivery.id);
  }
  async close(): Promise<void> {}
}

/** What the group holds for partition 0: shared by the runs of one test, as Kafka would. */
interface GroupState {
  offset: string;
  metadata: string | null;
}

async function harness(
  sender: Sender,
  overrides: Record<string, unknown> = {},
  group: GroupState = { offset: '-1', metadata: null },
) {
  const dead: { partition: number; offset: string; stage: string; reason: string; error: string }[] = [];
  const registry = new Registry();
  const deadLetters = {
    send: async (
      source: { partition: number },
      message: KafkaMessage,
      stage: string,
      reason: string,
      error: string,
    ) => {
      dead.push({ partition: source.partition, offset: message.offset, stage, reason, error });
    },
  } as unknown as DeadLetters;
  const fake = fakeKafka(TOPIC, group);
  const runner = new DestinationRunner(config(overrides), {
    kafka: fake.kafka,
    codec,
    topic: TOPIC,
    sender,
    deadLetters,
    logger: pino({ level: 'silent' }),
    metrics: destinationMetrics(registry),
  });
  await runner.start();
  return {
    runner,
    dead,
    registry,
    resolved: fake.resolved,
    /** Hands the runner one fetched batch of partition 0, as its consume loop would. */
    batch: (values: string[], from = 0): Promise<void> => fake.deliver(values, from),
    /** Commits past delivered records. */
    get commits(): number[] {
      return fake.commits.filter((c) => c.metadata === null).map((c) => c.offset);
    },
    /** The in-flight commits made before a delivery. */
    get marks(): { offset: number; metadata: string }[] {
      return fake.commits.flatMap((c) => (c.metadata ? [{ offset: c.offset, metadata: c.metadata }] : []));
    },
  };
}

describe('destination runner: poison records never block a destination', () => {
  it('dead-letters unreadable, unrenderable and receiver-refused records, delivers every other one, commits past all', async () => {
    const sender = new FakeSender();
    const h = await harness(sender);
    const values = [
      'ok:git.push',
      'bad:magic',
      'ok:git.clone',
      'far-future',
      'ok:render.fails',
      ...Array.from({ length: 12 }, (_, i) => (i === 6 ? 'ok:refused.by.receiver' : `ok:good.n${i}`)),
      'ok:git.fetch',
    ];
    await h.batch(values);
    const refusedAt = String(values.indexOf('ok:refused.by.receiver'));
    expect(h.dead.map((d) => [d.offset, d.stage, d.reason])).toEqual([
      ['1', 'destination:siem', 'wrong_magic_byte'],
      ['3', 'destination:siem', 'json_form_failed'],
      ['4', 'destination:siem', 'unrenderable'],
      [refusedAt, 'destination:siem', 'http_422'],
    ]);
    expect(h.dead[2]?.error).toMatch(/^json cannot render event .*: TypeError: cannot read/);
    expect(h.dead[3]?.error).toMatch(/the destination refused it: DeliveryError: the receiver answered 422/);
    const delivered = sender.delivered.flat();
    expect(delivered).toEqual(
      values
        .filter((v) => v.startsWith('ok:') && v !== 'ok:render.fails' && v !== 'ok:refused.by.receiver')
        .map((v) => v.slice(3)),
    );
    // Bisection: the chunk of 8 holding the refused event took 1 + about 2·log2(8) requests, not 8.
    expect(sender.requests).toBeLessThanOrEqual(2 + 1 + 2 * 3);
    expect(h.commits.at(-1)).toBe(values.length);
    expect(h.resolved.at(-1)).toBe(String(values.length - 1));
  });

  it('retries 5xx, 429, 401 and 404 with backoff (nothing dead-lettered), then delivers', async () => {
    const sender = new FakeSender([503, 429, 401, 404, 500]);
    const h = await harness(sender);
    await h.batch(['ok:git.push', 'ok:git.clone']);
    expect(h.dead).toEqual([]);
    expect(sender.requests).toBe(6);
    expect(sender.delivered).toEqual([['git.push', 'git.clone']]);
    expect(h.commits).toEqual([2]);
    const failures = (await h.registry.getSingleMetric('auditflow_destination_failures_total')?.get())
      ?.values[0]?.value;
    expect(failures).toBe(5);
  });

  it('a registry outage is retriable: the batch throws for kafkajs to retry, nothing committed', async () => {
    const h = await harness(new FakeSender());
    await expect(h.batch(['ok:git.push', 'down'])).rejects.toThrow(RegistryUnavailableError);
    expect(h.dead).toEqual([]);
    expect(h.commits).toEqual([]);
  });

  it('a stop during backoff ends the batch at once and commits only what was delivered', async () => {
    const sender = new FakeSender(Array.from({ length: 1000 }, () => 503));
    const h = await harness(sender, { batch_size: 2, retry: { initial_ms: 5000, max_ms: 60_000 } });
    const values = ['ok:a.one', 'ok:a.two', 'ok:a.three', 'ok:a.four'];
    // The first chunk goes through, the second meets a receiver that is down.
    sender.send = ((original) =>
      async function (this: FakeSender, delivery: Delivery, signal: AbortSignal) {
        if (this.delivered.length === 0 && this.requests === 0) {
          this.requests++;
          this.delivered.push(['first']);
          return;
        }
        return original.call(this, delivery, signal);
      })(sender.send);
    const started = Date.now();
    const running = h.batch(values);
    while (sender.requests < 2) await new Promise((r) => setTimeout(r, 5));
    await h.runner.stop();
    await running;
    expect(Date.now() - started).toBeLessThan(2000); // not the 5 s backoff
    expect(h.commits).toEqual([2]); // the delivered chunk, nothing past it
    expect(h.dead).toEqual([]);
  });

  it('a delivery cut short by a kill goes again with the same id and events, however the next fetch is cut', async () => {
    const group: GroupState = { offset: '-1', metadata: null };
    const values = Array.from({ length: 12 }, (_, i) => `ok:e.${i}`);
    // First run: its fetch ended at 4. The chunk [0..2] is delivered; [3..4] (cut at the end of
    // the fetch) is sent and the process dies before the receiver answers.
    const attempts: { id: string; actions: string[] }[] = [];
    const dying: Sender = {
      render: (_event, json) => json,
      send: async (delivery) => {
        const actions = delivery.items.map((i) => (JSON.parse(i) as AuditEventJson).action);
        attempts.push({ id: delivery.id, actions });
        if (attempts.length === 2) await new Promise(() => {}); // killed mid-request
      },
      close: async () => {},
    };
    const first = await harness(dying, { batch_size: 3 }, group);
    void first.batch(values.slice(0, 5));
    while (attempts.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(group).toEqual({ offset: '3', metadata: expect.stringMatching(/:4$/) });

    // Second run: the group says 3, in flight through 4; its fetch from 3 is longer this time.
    const sender = new FakeSender();
    const second = await harness(sender, { batch_size: 3 }, group);
    await second.batch(values.slice(3), 3);
    expect(sender.ids[0]).toBe(attempts[1]?.id);
    expect(sender.delivered[0]).toEqual(attempts[1]?.actions);
    expect(sender.delivered.flat()).toEqual(values.slice(3).map((v) => v.slice(3)));
    expect(second.commits.at(-1)).toBe(12);
    expect(group.metadata).toBeNull();
  });

  it('a stop during a send lets it finish and commits it before leaving the group', async () => {
    let release: (() => void) | undefined;
    let aborted = false;
    const sent: string[][] = [];
    const slow: Sender = {
      render: (_event, json) => json,
      send: async (delivery, signal) => {
        signal.addEventListener('abort', () => {
          aborted = true;
        });
        await new Promise<void>((r) => {
          release = r;
        });
        sent.push(delivery.items.map((i) => (JSON.parse(i) as AuditEventJson).action));
      },
      close: async () => {},
    };
    const h = await harness(slow, { batch_size: 2 });
    const running = h.batch(['ok:a.one', 'ok:a.two', 'ok:a.three', 'ok:a.four']);
    while (release === undefined) await new Promise((r) => setTimeout(r, 5));
    const stopping = h.runner.stop();
    await new Promise((r) => setTimeout(r, 50));
    release(); // the receiver answers after the stop began
    await stopping;
    await running;
    expect(aborted).toBe(false);
    expect(sent).toEqual([['a.one', 'a.two']]); // nothing new sent once stopping
    expect(h.commits).toEqual([2]); // committed before the group was left
  });

  it('a stop abandons a send that outlasts the sender timeout', async () => {
    const hanging: Sender = {
      render: (_event, json) => json,
      send: (_delivery, signal) =>
        new Promise<void>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
      close: async () => {},
    };
    const h = await harness(hanging, { batch_size: 2, timeout_ms: 100 });
    const running = h.batch(['ok:a.one', 'ok:a.two']);
    while (h.marks.length === 0) await new Promise((r) => setTimeout(r, 5));
    await h.runner.stop();
    await running;
    expect(h.commits).toEqual([]); // in flight: the next run sends it again under the same id
    expect(h.marks).toEqual([{ offset: 0, metadata: expect.stringMatching(/:1$/) }]);
  });
});
