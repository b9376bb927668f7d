import { indexerSettings, occurredAtWindowFromEnv, TOPICS } from '@auditflow/schemas';
import { readSettings, runService, stageEnv } from '@auditflow/service';
import { Client } from '@elastic/elasticsearch';
import { Indexer } from './indexer.ts';

/** Daily indices past the search retention are deleted this often (where ILM does not). */
const SWEEP_EVERY_MS = 3_600_000;

await runService({
  name: 'auditflow-indexer',
  settings: () => readSettings(indexerSettings),
  healthPort: (env) => env.AUDITFLOW_HEALTH_PORT,
  create: async ({ logger, registry, progress, onFatal, settings: env }) => {
    const base = stageEnv();
    const es = new Client({ node: env.ELASTICSEARCH_URL });
    const health = await es.cluster.health();
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
        sweepEveryMs: SWEEP_EVERY_MS,
        maxMessageBytes: base.AUDITFLOW_MAX_EVENT_BYTES,
      },
      es,
      { logger, registry, onFatal, progress },
    );
    return {
      get ready() {
        return indexer.ready;
      },
      start: () => indexer.start(),
      stop: async () => {
        await indexer.stop();
        await es.close();
      },
    };
  },
});
