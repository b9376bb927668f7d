import { runProcessorService } from '@auditflow/processor-runtime';
import { loadCatalog, loadRetentionPolicy, TOPICS } from '@auditflow/schemas';
import { enrichEvent, loadMetadata } from './enrich.ts';

const ctx = {
  catalog: loadCatalog(process.env.AUDITFLOW_ACTION_CATALOG),
  retention: loadRetentionPolicy(process.env.AUDITFLOW_RETENTION_POLICY),
  metadata: loadMetadata(process.env.AUDITFLOW_METADATA),
};

await runProcessorService({
  name: 'enricher',
  healthPort: Number(process.env.AUDITFLOW_HEALTH_PORT ?? 8072),
  transform: (event) => ({ kind: 'forward', event: enrichEvent(event, ctx) }),
  config: {
    groupId: 'auditflow-enricher',
    inputTopic: TOPICS.sanitized,
    outputTopic: TOPICS.clean,
    dlqTopic: TOPICS.dlq,
    quarantineTopic: TOPICS.quarantine,
    onTransformError: 'dlq',
  },
});
