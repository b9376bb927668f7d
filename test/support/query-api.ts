import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexFor, templateBody, toEcsDocument } from '@auditflow/indexer';
import { createTopicsReady } from '@auditflow/kafka';
import { type AuditProducer, createAuditProducer } from '@auditflow/producer';
import { createQueryApi, type QueryApiConfig } from '@auditflow/query-api';
import type { AuditEvent } from '@auditflow/schemas';
import type { Client } from '@elastic/elasticsearch';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { endpoints, kafkaClient, unique } from './endpoints.ts';

export interface TestQueryApi {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The producer its audit records go through (flush it to wait for them). */
  readonly producer: AuditProducer;
  /** Stops the API, then its producer (the caller's Elasticsearch client stays open). */
  close(): Promise<void>;
}

/**
 * The query API in this process on a free port of 127.0.0.1, over `es`, auditing through a
 * producer of its own (its own spool) to `topic`; logs silent, audited as tenant `auditflow`
 * unless `config` says otherwise.
 */
export async function startQueryApi(options: {
  readonly name: string;
  readonly es: Client;
  readonly topic: string;
  readonly config: Omit<QueryApiConfig, 'host' | 'port' | 'selfTenant'> &
    Partial<Pick<QueryApiConfig, 'selfTenant'>>;
  readonly registry?: Registry;
}): Promise<TestQueryApi> {
  const producer = createAuditProducer(
    {
      brokers: endpoints().KAFKA_BROKERS.split(','),
      schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL,
      topic: options.topic,
      spool: { dir: mkdtempSync(join(tmpdir(), `${options.name}-spool-`)) },
    },
    { logger: pino({ level: 'silent' }) },
  );
  const api = createQueryApi({
    config: { host: '127.0.0.1', port: 0, selfTenant: 'auditflow', ...options.config },
    es: options.es,
    producer,
    logger: pino({ level: 'silent' }),
    registry: options.registry ?? new Registry(),
  });
  const url = `http://127.0.0.1:${(await api.listen()).port}`;
  return {
    url,
    producer,
    close: async () => {
      await api.close();
      await producer.close();
    },
  };
}

/** A one-partition topic of its own for a test API's audit records. */
export async function auditTopicFor(name: string): Promise<string> {
  const topic = unique(`it.${name}-audit`);
  const admin = kafkaClient(`${name}-test`).admin();
  await admin.connect();
  await createTopicsReady(admin, [{ topic }]);
  await admin.disconnect();
  return topic;
}

/**
 * Daily indices of their own (`<prefix>-YYYY.MM.DD`, the indexer's template with its mappings,
 * on a fresh cluster too) holding `events` as the indexer writes them; `drop` deletes them and
 * the template.
 */
export async function indexOfOwn(
  es: Client,
  name: string,
  events: readonly AuditEvent[],
  now = Date.now(),
): Promise<{ readonly prefix: string; drop(): Promise<void> }> {
  const prefix = `audit-events-${unique(name).toLowerCase()}`;
  await es.indices.putIndexTemplate({
    name: prefix,
    ...(templateBody({ mode: 'daily_indices', prefix }, { replicas: 0 }) as object),
  });
  for (let from = 0; from < events.length; from += 1000) {
    await es.bulk({
      refresh: from + 1000 >= events.length,
      operations: events
        .slice(from, from + 1000)
        .flatMap((e) => [
          { create: { _index: indexFor({ mode: 'daily_indices', prefix }, e.occurred_at), _id: e.id } },
          toEcsDocument(e, now),
        ]),
    });
  }
  return {
    prefix,
    drop: async () => {
      await es.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true });
      await es.indices.deleteIndexTemplate({ name: prefix }).catch(() => {});
    },
  };
}
