import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTopicsReady } from '@auditflow/kafka';
import {
  createStreamServer,
  Destinations,
  loadDestinations,
  type StreamClient,
  StreamHub,
} from '@auditflow/streamer';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { endpoints, kafkaClient, unique } from '../../support/endpoints.ts';

export const ALL_TOKEN = 'local-stream-token-0123456789';
export const GLOBEX_TOKEN = 'globex-stream-token-0123456789';
export const CLIENTS: StreamClient[] = [
  { id: 'local', token: ALL_TOKEN, tenants: ['*'] },
  { id: 'globex-siem', token: GLOBEX_TOKEN, tenants: ['globex'] },
];

/** The DLQ topic of a test's clean-like topic (made with it by `streamTopic`). */
export const dlqOf = (topic: string): string => `${topic}.dlq`;

/** A clean-like topic of its own (3 partitions), and its own DLQ topic (`dlqOf`). */
export async function streamTopic(prefix: string): Promise<string> {
  const topic = `${unique(prefix)}.clean`;
  const admin = kafkaClient('streamer-test').admin();
  await admin.connect();
  await createTopicsReady(admin, [
    { topic, numPartitions: 3 },
    { topic: dlqOf(topic), numPartitions: 1 },
  ]);
  await admin.disconnect();
  return topic;
}

export interface RunningStreamer {
  readonly url: string;
  readonly hub: StreamHub;
  readonly registry: Registry;
  stop(): Promise<void>;
}

export async function startStreamer(
  topic: string,
  options: {
    maxBuffered?: number;
    maxBufferedBytes?: number;
    heartbeatMs?: number;
    socketBufferBytes?: number;
  } = {},
): Promise<RunningStreamer> {
  const logger = pino({ level: process.env.STREAMER_TEST_LOG ?? 'silent' });
  const registry = new Registry();
  const hub = new StreamHub(
    {
      brokers: endpoints().KAFKA_BROKERS.split(','),
      registryUrl: endpoints().SCHEMA_REGISTRY_URL,
      topic,
      maxBuffered: options.maxBuffered ?? 1000,
      maxBufferedBytes: options.maxBufferedBytes,
      maxSubscribers: 100,
      maxCatchUps: 8,
      instanceId: 'test',
      dlqTopic: dlqOf(topic),
    },
    { logger, registry },
  );
  await hub.start();
  const server = createStreamServer({
    config: {
      host: '127.0.0.1',
      port: 0,
      clients: CLIENTS,
      heartbeatMs: options.heartbeatMs ?? 15_000,
      socketBufferBytes: options.socketBufferBytes ?? 1024 * 1024,
    },
    hub,
    logger,
    registry,
  });
  const address = await server.listen();
  return {
    url: `http://127.0.0.1:${address.port}`,
    hub,
    registry,
    stop: async () => {
      await server.close();
      await hub.stop();
    },
  };
}

/** Polls until `test` holds. */
export async function until(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Destinations made the way the service makes them, from a destinations file; not started yet. */
export function destinationsFrom(
  topic: string,
  yaml: string,
): { destinations: Destinations; registry: Registry } {
  const path = join(mkdtempSync(join(tmpdir(), 'destinations-')), 'destinations.yaml');
  writeFileSync(path, yaml);
  const registry = new Registry();
  const destinations = new Destinations(loadDestinations(path), {
    brokers: endpoints().KAFKA_BROKERS.split(','),
    registryUrl: endpoints().SCHEMA_REGISTRY_URL,
    topic,
    dlqTopic: dlqOf(topic),
    logger: pino({ level: process.env.STREAMER_TEST_LOG ?? 'silent' }),
    registry,
  });
  return { destinations, registry };
}

/** `destinationsFrom`, started. */
export async function startDestinations(topic: string, yaml: string) {
  const made = destinationsFrom(topic, yaml);
  await made.destinations.start();
  return made;
}
