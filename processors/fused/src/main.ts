import { enricherContextFromEnv } from '@auditflow/enricher';
import { resendWindowFromEnv, runProcessorService } from '@auditflow/processor-runtime';
import { sanitizerContextFromEnv } from '@auditflow/sanitizer';
import { TOPICS } from '@auditflow/schemas';
import { fusedTransform } from './fused.ts';

// Settings are checked once, before anything connects; a bad one is one line naming it.
let transform: ReturnType<typeof fusedTransform>;
let dedupeResends: ReturnType<typeof resendWindowFromEnv>;
try {
  transform = fusedTransform(sanitizerContextFromEnv(process.env), enricherContextFromEnv(process.env));
  dedupeResends = resendWindowFromEnv(process.env);
} catch (err) {
  console.error(`fused processor: ${(err as Error).message}`);
  process.exit(1);
}

await runProcessorService({
  name: 'fused',
  healthPort: Number(process.env.AUDITFLOW_HEALTH_PORT ?? 8071),
  transform,
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
    dedupeResends,
  },
});
