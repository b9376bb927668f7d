import { runProcessorService } from '@auditflow/processor-runtime';
import { enricherSettings, TOPICS } from '@auditflow/schemas';
import { enrichEvent, enricherContextFromEnv } from './enrich.ts';

await runProcessorService({
  name: 'enricher',
  healthPort: 8072,
  settings: enricherSettings,
  declare: (env) => {
    const ctx = enricherContextFromEnv(env);
    return {
      transform: (event) => ({ kind: 'forward', event: enrichEvent(event, ctx) }),
      config: {
        groupId: 'auditflow-enricher',
        inputTopic: TOPICS.sanitized,
        outputTopic: TOPICS.clean,
        dlqTopic: TOPICS.dlq,
        quarantineTopic: TOPICS.quarantine,
        onTransformError: 'dlq',
      },
    };
  },
});
