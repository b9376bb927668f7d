import { setTimeout as sleep } from 'node:timers/promises';
import { Indexer, type IndexerConfig } from '@auditflow/indexer';
import { WireCodec } from '@auditflow/kafka';
import type { AuditEvent } from '@auditflow/schemas';
import { HEADERS } from '@auditflow/schemas';
import type { Client } from '@elastic/elasticsearch';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { consumeAll } from './consume.ts';
import { endpoints, kafkaClient, unique } from './endpoints.ts';

/** An indexer on a test's own topics and index prefix (own group unless one is given). */
export function testIndexer(
  topics: { clean: string; dlq: string },
  prefix: string,
  es: Client,
  groupId = unique('idx-group'),
  overrides: Partial<IndexerConfig> = {},
): Indexer {
  return new Indexer(
    {
      brokers: endpoints().KAFKA_BROKERS.split(','),
      registryUrl: endpoints().SCHEMA_REGISTRY_URL,
      groupId,
      topic: topics.clean,
      dlqTopic: topics.dlq,
      indexPrefix: prefix,
      searchRetentionDays: 30,
      replicas: 0,
      concurrency: 3,
      ...overrides,
    },
    es,
    { logger: pino({ level: 'silent' }), registry: new Registry() },
  );
}

/** Polls (refreshing) until the prefix's indices hold `expected` documents; returns the last count. */
export async function countWhen(
  es: Client,
  prefix: string,
  expected: number,
  timeoutMs = 90_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = -1;
  while (Date.now() < deadline) {
    await es.indices.refresh({ index: `${prefix}*` }).catch(() => {});
    count = (await es.count({ index: `${prefix}*` }).catch(() => ({ count: -1 }))).count;
    if (count >= expected) break;
    await sleep(500);
  }
  return count;
}

/** One record written straight to a topic, bypassing the SDK and the gateway's bounds. */
export interface RawRecord {
  /** Encoded in the Confluent wire format with the topic's registered schema. */
  readonly event?: AuditEvent;
  /** Bytes as they are (e.g. not Avro at all). */
  readonly value?: Buffer;
  readonly partition?: number;
  /** Kafka record time (ms): when the record was written, e.g. long ago. */
  readonly timestamp?: number;
}

/** Writes records in order with a plain Kafka producer, as a foreign or hostile client could. */
export async function writeRecords(topic: string, records: readonly RawRecord[]): Promise<void> {
  const codec = new WireCodec(endpoints().SCHEMA_REGISTRY_URL);
  const values = await Promise.all(
    records.map(async (r) => r.value ?? (await codec.encode(topic, r.event as AuditEvent))),
  );
  const producer = kafkaClient(unique('raw-writer')).producer();
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: records.map((r, i) => ({
        key: r.event?.id ?? null,
        value: values[i] as Buffer,
        ...(r.partition === undefined ? {} : { partition: r.partition }),
        ...(r.timestamp === undefined ? {} : { timestamp: String(r.timestamp) }),
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** A DLQ record as tests check it: who set it aside, why, and which event (when it decodes). */
export interface DeadLetteredRecord {
  readonly stage?: string;
  readonly reason?: string;
  readonly error: string;
  readonly id?: string;
  readonly tenant?: string;
}

/** The DLQ's records once at least `count` are there (or the time is up). */
export async function deadLettered(
  topic: string,
  count: number,
  timeoutMs = 60_000,
): Promise<DeadLetteredRecord[]> {
  const codec = new WireCodec(endpoints().SCHEMA_REGISTRY_URL);
  const deadline = Date.now() + timeoutMs;
  let records = await consumeAll(topic);
  while (records.length < count && Date.now() < deadline) {
    await sleep(500);
    records = await consumeAll(topic);
  }
  return Promise.all(
    records.map(async ({ message }) => {
      const event = await codec.decode(message.value).catch(() => undefined);
      return {
        stage: message.headers?.[HEADERS.stage]?.toString(),
        reason: message.headers?.[HEADERS.reason]?.toString(),
        error: message.headers?.[HEADERS.error]?.toString() ?? '',
        id: event?.id,
        tenant: event?.tenant_id,
      };
    }),
  );
}

/**
 * The indexers and index prefixes a test file makes, and one `cleanup` for its afterAll: stops
 * the indexers, removes each prefix's template and indices, closes the client.
 */
export function indexerTestScope(es: Client) {
  const running: Indexer[] = [];
  const prefixes: string[] = [];
  return {
    running,
    /** A fresh `audit-events-<label>-…` prefix, removed at cleanup. */
    prefix(label: string): string {
      const prefix = `audit-events-${unique(label).toLowerCase()}`;
      prefixes.push(prefix);
      return prefix;
    },
    async cleanup(): Promise<void> {
      await Promise.all(running.map((i) => i.stop()));
      for (const prefix of prefixes) {
        await es.indices.deleteIndexTemplate({ name: prefix }).catch(() => {});
        await es.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true }).catch(() => {});
      }
      await es.close();
    },
  };
}
