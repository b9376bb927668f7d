import { setTimeout as sleep } from 'node:timers/promises';
import { Indexer } from '@auditflow/indexer';
import type { Client } from '@elastic/elasticsearch';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { endpoints, unique } from './endpoints.ts';

/** An indexer on a test's own topics and index prefix (own group unless one is given). */
export function testIndexer(
  topics: { clean: string; dlq: string },
  prefix: string,
  es: Client,
  groupId = unique('idx-group'),
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
