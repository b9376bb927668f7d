import { occurredAtWindowFromEnv, TOPICS } from '@auditflow/schemas';
import { serveHealth, stageEnv } from '@auditflow/service';
import { Client } from '@elastic/elasticsearch';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { Indexer } from './indexer.ts';

const logger = pino({ name: 'auditflow-indexer' });
const base = stageEnv();
const env = z
  .object({
    ELASTICSEARCH_URL: z.url('set it to the Elasticsearch URL, e.g. http://127.0.0.1:9200'),
    AUDITFLOW_INDEX_PREFIX: z
      .string()
      .regex(/^audit-events[a-z0-9-]*$/, 'must start with audit-events')
      .default('audit-events'),
    AUDITFLOW_SEARCH_RETENTION_DAYS: z.coerce.number().int().positive().default(365),
    AUDITFLOW_HEALTH_PORT: z.coerce.number().int().min(0).default(8073),
  })
  .parse(process.env);

const es = new Client({ node: env.ELASTICSEARCH_URL });
const health = await es.cluster.health();
const registry = new Registry();
const indexer = new Indexer(
  {
    brokers: base.KAFKA_BROKERS.split(','),
    registryUrl: base.SCHEMA_REGISTRY_URL,
    groupId: 'auditflow-indexer',
    topic: TOPICS.clean,
    dlqTopic: TOPICS.dlq,
    indexPrefix: env.AUDITFLOW_INDEX_PREFIX,
    searchRetentionDays: env.AUDITFLOW_SEARCH_RETENTION_DAYS,
    // One replica where there is a second data node to hold it.
    replicas: Math.min(1, health.number_of_data_nodes - 1),
    concurrency: 3,
    // The contract's occurred_at window: outside it, events are filed under their receipt day.
    timeWindow: occurredAtWindowFromEnv(),
  },
  es,
  { logger, registry, onFatal: () => process.exit(1) },
);
const server = await serveHealth({ port: env.AUDITFLOW_HEALTH_PORT, registry, ready: () => indexer.ready });
await indexer.start();
const sweep = setInterval(() => {
  indexer.sweepRetention().then(
    (deleted) => deleted.length > 0 && logger.info({ deleted }, 'deleted indices past the search retention'),
    (err: Error) => logger.warn({ err: err.message }, 'retention sweep failed; will try again'),
  );
}, 3_600_000);

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'draining');
  clearInterval(sweep);
  await indexer.stop();
  await es.close();
  server.server.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
