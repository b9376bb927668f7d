import { enricherContextFromEnv } from '@auditflow/enricher';
import { resendWindowFromEnv, runProcessorService } from '@auditflow/processor-runtime';
import { sanitizerContextFromEnv } from '@auditflow/sanitizer';
import { fusedSettings, TOPICS } from '@auditflow/schemas';
import { fusedTransform } from './fused.ts';

await runProcessorService({
  name: 'fused',
  healthPort: 8071,
  settings: fusedSettings,
  declare: (env) => ({
    transform: fusedTransform(sanitizerContextFromEnv(env), enricherContextFromEnv(env)),
    config: {
      // The sanitizer's group (and so its transactional ids): the fused stage takes audit.raw.v1 up
      // where a split sanitizer left it, and fences one still running. Switching from the split
      // deployment, let the enricher drain audit.sanitized.v1 first (README).
      groupId: 'auditflow-sanitizer',
      inputTopic: TOPICS.raw,
      outputTopic: TOPICS.clean,
      dlqTopic: TOPICS.dlq,
      quarantineTopic: TOPICS.quarantine,
      // Fail closed (S4), as the sanitizer: until both transforms succeeded the event is raw, so
      // an event that cannot be decoded or processed goes only to the restricted quarantine topic.
      onTransformError: 'quarantine',
      onDecodeError: 'quarantine',
      // The first stage reading raw drops producer resends (the SDK delivers at least once).
      dedupeResends: resendWindowFromEnv(env),
    },
  }),
});
