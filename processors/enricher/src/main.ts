import { runProcessorService } from '@auditflow/processor-runtime';
import { TOPICS } from '@auditflow/schemas';
import { enrichEvent, enricherContextFromEnv } from './enrich.ts';

const ctx = enricherContextFromEnv(process.env);

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
