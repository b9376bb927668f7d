import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { destinationStage, groupIdOf, STREAMER_STAGE } from '@auditflow/streamer';
import { afterAll, describe, expect, it } from 'vitest';
import { emitEvents } from '../../support/emit.ts';
import { endpoints, kafkaClient } from '../../support/endpoints.ts';
import { sampleEvent } from '../../support/events.ts';
import {
  ALL_TOKEN,
  destinationsFrom,
  dlqOf,
  type RunningStreamer,
  startStreamer,
  streamTopic,
  until,
} from './fixtures.ts';
import { deadLettered, POISON_REASONS, plantPoison } from './poison.ts';
import { syslogListener, WebhookReceiver } from './receivers.ts';
import { parseRfc5424 } from './rfc5424.ts';
import { SseClient } from './sse-client.ts';

/**
 * Issue 14, item 1 for the streamer: a record that can never be shown or delivered is set
 * aside in the DLQ with its stage and reason, and the events after it still arrive; a
 * destination backing off still stops on SIGTERM within its drain timeout.
 */

const SECRET = 'poison-webhook-secret-0123456789';
const PARTITIONS = 3;
const POISON_PER_RUN = Object.keys(POISON_REASONS).length * PARTITIONS;
const run = Math.random().toString(36).slice(2, 8);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

const expectPoisonReasons = (records: { key?: string; reason?: string }[]) => {
  for (const r of records) expect(r.reason).toBe(POISON_REASONS[r.key as keyof typeof POISON_REASONS]);
};

describe('poison records never block the streamer or a destination (real Kafka)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('live feed: poison between good events goes to the DLQ once (stage streamer); SSE subscribers get every good event, also when resuming over it', async () => {
    const topic = await streamTopic('it.poison.stream');
    const s: RunningStreamer = await startStreamer(topic);
    cleanups.push(() => s.stop());
    const live = await SseClient.open(`${s.url}/v1/stream`, ALL_TOKEN);
    cleanups.push(() => live.close());
    const before = await emitEvents(
      topic,
      Array.from({ length: 60 }, (_, i) => sampleEvent(i)),
    );
    await live.until(() => live.events.length >= 60, 60_000, 'the events before the poison');
    expect(await plantPoison(topic, PARTITIONS)).toBe(POISON_PER_RUN);
    const after = await emitEvents(
      topic,
      Array.from({ length: 60 }, (_, i) => sampleEvent(100 + i)),
    );
    await live.until(() => live.events.length >= 120, 60_000, 'the events after the poison');

    const ids = [...before, ...after];
    expect(live.events.map((e) => e.event.id).sort()).toEqual([...ids].sort());
    expect(live.ended).toBe(false);
    // The origin the SDK stamped travels on every frame (ingest, schema v3).
    for (const e of live.events)
      expect((e.event as { ingest?: unknown }).ingest).toMatchObject({
        via: 'sdk',
        client_id: expect.any(String),
        received_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    const dead = await deadLettered(dlqOf(topic), POISON_PER_RUN);
    expect(dead).toHaveLength(POISON_PER_RUN);
    expect(dead.every((d) => d.stage === STREAMER_STAGE && d.sourceTopic === topic)).toBe(true);
    expectPoisonReasons(dead);
    expect(dead.find((d) => d.key === 'not-wire-format')?.value?.toString()).toContain('"action"'); // original bytes
    expect(dead.find((d) => d.key === 'time-out-of-range')?.error).toMatch(/RangeError|Invalid time/);

    // A subscriber resuming from before the poison reads it again in its catch-up: it gets every
    // good event after its position, and nothing more goes to the DLQ.
    const firstPosition = live.events[0]?.id as string;
    const resumed = await SseClient.open(`${s.url}/v1/stream`, ALL_TOKEN, { 'last-event-id': firstPosition });
    cleanups.push(() => resumed.close());
    await resumed.until(() => resumed.events.length >= 119, 60_000, 'the resumed events');
    await sleep(1000);
    const firstId = live.events[0]?.event.id;
    expect(new Set(resumed.events.map((e) => e.event.id))).toEqual(
      new Set(ids.filter((id) => id !== firstId)),
    );
    expect(resumed.events).toHaveLength(119);
    expect(await deadLettered(dlqOf(topic), POISON_PER_RUN + 1, { timeoutMs: 5000 })).toHaveLength(
      POISON_PER_RUN,
    );
    const undecodable = (await s.registry.getSingleMetric('auditflow_streamer_undecodable_total')?.get())
      ?.values;
    expect(undecodable?.find((v) => v.labels.feed === 'live')?.value).toBe(POISON_PER_RUN);
    expect(undecodable?.find((v) => v.labels.feed === 'catch_up')?.value).toBeGreaterThanOrEqual(3);
  });

  it('webhook and CEF syslog: poison and a receiver-refused event go to the DLQ per destination; every other event arrives once', async () => {
    const topic = await streamTopic('it.poison.dest');
    const receiver = new WebhookReceiver(SECRET, { refuse: (e) => e.action === 'poison.refused' });
    const url = await receiver.listen();
    const syslog = await syslogListener();
    cleanups.push(
      () => receiver.close(),
      () => syslog.close(),
    );
    const hook = `hook-${run}`;
    const cef = `cef-${run}`;
    const { destinations } = destinationsFrom(
      topic,
      `destinations:
  - { name: ${hook}, type: webhook, url: "${url}", secrets: [${SECRET}], start: earliest, batch_size: 10, retry: { initial_ms: 50, max_ms: 400 } }
  - { name: ${cef}, type: syslog, host: 127.0.0.1, port: ${syslog.port}, transport: tcp, format: cef, start: earliest, batch_size: 10 }
`,
    );
    const before = await emitEvents(
      topic,
      Array.from({ length: 50 }, (_, i) => sampleEvent(i)),
    );
    await plantPoison(topic, PARTITIONS);
    const afterInput = Array.from({ length: 50 }, (_, i) =>
      sampleEvent(100 + i, i === 20 ? { action: 'poison.refused' } : {}),
    );
    const after = await emitEvents(topic, afterInput);
    // Started once everything is on the topic: the poison sits between good events in the batches.
    await destinations.start();
    cleanups.push(() => destinations.stop());
    const refusedId = after[20] as string;
    const good = [...before, ...after].filter((id) => id !== refusedId);
    await until(() => receiver.accepted.length >= good.length, 60_000, 'every good event at the webhook');
    await until(
      () => syslog.messages.length >= good.length + 1,
      60_000,
      'every event at the syslog listener',
    );
    await sleep(1500); // a repeat would show now

    expect(receiver.accepted.map((e) => e.id).sort()).toEqual([...good].sort());
    expect(receiver.badSignatures).toBe(0);
    for (const e of receiver.accepted) expect((e as { ingest?: { via?: string } }).ingest?.via).toBe('sdk');
    // Bisection of the one batch of 10 holding it: a few refusals, not one per event of the topic.
    expect(receiver.refused).toBeGreaterThanOrEqual(1);
    expect(receiver.refused).toBeLessThanOrEqual(1 + 2 * 4);
    const cefIds = syslog.messages.map((m) => /externalId=([0-9a-f-]+)/.exec(parseRfc5424(m).msg)?.[1]);
    expect(syslog.messages.every((m) => parseRfc5424(m).msg.includes('flexString1=sdk'))).toBe(true);
    expect(cefIds.sort()).toEqual([...before, ...after].sort()); // CEF renders the refused one fine

    const dead = await deadLettered(dlqOf(topic), 2 * POISON_PER_RUN + 1);
    expect(dead).toHaveLength(2 * POISON_PER_RUN + 1);
    const ofHook = dead.filter((d) => d.stage === destinationStage(hook));
    const ofCef = dead.filter((d) => d.stage === destinationStage(cef));
    expect(ofCef).toHaveLength(POISON_PER_RUN);
    expectPoisonReasons(ofCef);
    expect(ofHook).toHaveLength(POISON_PER_RUN + 1);
    const refused = ofHook.filter((d) => d.reason === 'http_422');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.error).toMatch(/refused it: .*422/);
    expect(refused[0]?.value?.length).toBeGreaterThan(5); // the original Avro record, to replay later
    expectPoisonReasons(ofHook.filter((d) => d.reason !== 'http_422'));
    expect(dead.every((d) => d.sourceTopic === topic)).toBe(true);
  });

  it('SIGTERM while a destination backs off: the streamer exits 0 within its drain timeout, with what was delivered committed', async () => {
    const topic = await streamTopic('it.poison.sigterm');
    const receiver = new WebhookReceiver(SECRET, { downAfter: 3 });
    const url = await receiver.listen();
    cleanups.push(() => receiver.close());
    const name = `drain-${run}`;
    const dir = mkdtempSync(join(tmpdir(), 'streamer-sigterm-'));
    writeFileSync(
      join(dir, 'destinations.yaml'),
      `destinations:
  - { name: ${name}, type: webhook, url: "${url}", secrets: [${SECRET}], start: earliest, batch_size: 20, retry: { initial_ms: 200, max_ms: 2000 }, breaker: { failures: 2, cooldown_ms: 120000 } }
`,
    );
    // On the topic before the streamer starts: its first fetch holds them all, in full batches.
    await emitEvents(
      topic,
      Array.from({ length: 200 }, (_, i) => sampleEvent(i)),
    );
    const port = await freePort();
    const drainTimeoutMs = 10_000;
    const log = join(dir, 'streamer.log');
    const out = openSync(log, 'a');
    const child: ChildProcess = spawn(process.execPath, ['consumers/streamer/dist/main.js'], {
      cwd: REPO,
      env: {
        ...process.env,
        KAFKA_BROKERS: endpoints().KAFKA_BROKERS,
        SCHEMA_REGISTRY_URL: endpoints().SCHEMA_REGISTRY_URL,
        AUDITFLOW_STREAM_TOKEN: ALL_TOKEN,
        AUDITFLOW_STREAM_PORT: String(port),
        AUDITFLOW_STREAM_TOPIC: topic,
        AUDITFLOW_STREAM_DLQ_TOPIC: dlqOf(topic),
        AUDITFLOW_DESTINATIONS_FILE: join(dir, 'destinations.yaml'),
        AUDITFLOW_DRAIN_TIMEOUT_MS: String(drainTimeoutMs),
        AUDITFLOW_INSTANCE_ID: `sigterm-${run}`,
      },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      child.once('exit', (code) => resolve({ code, at: Date.now() })),
    );
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const tail = () => readFileSync(log, 'utf8').split('\n').slice(-20).join('\n');
    await until(
      () => child.exitCode === null && readFileSync(log, 'utf8').includes('streamer listening'),
      120_000,
      'the streamer to start',
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${tail()}`);
    });
    // Three batches taken, then the receiver is down: two failures open the breaker for 120 s.
    await until(() => receiver.unavailable >= 2, 60_000, 'the breaker to open');
    await sleep(500);
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const exit = await exited;
    expect(exit.code, tail()).toBe(0);
    const stoppedInMs = exit.at - signalledAt;
    console.info(
      `[poison] SIGTERM during backoff: exited in ${stoppedInMs} ms (drain timeout ${drainTimeoutMs} ms)`,
    );
    expect(stoppedInMs).toBeLessThan(drainTimeoutMs);
    const taken = receiver.accepted.length;
    expect(taken).toBeGreaterThanOrEqual(20);
    expect(taken).toBeLessThan(200);

    const admin = kafkaClient('sigterm-offsets').admin();
    await admin.connect();
    const [offsets] = await admin.fetchOffsets({ groupId: groupIdOf(name), topics: [topic] });
    await admin.disconnect();
    const committed = (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    expect(committed).toBe(taken); // exactly what the receiver took: nothing lost, nothing skipped
  });
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
