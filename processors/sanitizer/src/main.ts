import { resendWindowFromEnv, runProcessorService } from '@auditflow/processor-runtime';
import { TOPICS } from '@auditflow/schemas';
import { sanitizerContextFromEnv } from './context.ts';
import { sanitizeEvent } from './sanitize.ts';

// Settings are checked once, before anything connects; a bad one is one line naming it.
let ctx: ReturnType<typeof sanitizerContextFromEnv>;
let dedupeResends: ReturnType<typeof resendWindowFromEnv>;
try {
  ctx = sanitizerContextFromEnv(process.env);
  dedupeResends = resendWindowFromEnv(process.env);
} catch (err) {
  console.error(`sanitizer: ${(err as Error).message}`);
  process.exit(1);
}

await runProcessorService({
  name: 'sanitizer',
  healthPort: Number(process.env.AUDITFLOW_HEALTH_PORT ?? 8071),
  transform: (event) => ({ kind: 'forward', event: sanitizeEvent(event, ctx) }),
  config: {
    groupId: 'auditflow-sanitizer',
    inputTopic: TOPICS.raw,
    outputTopic: TOPICS.sanitized,
    dlqTopic: TOPICS.dlq,
    quarantineTopic: TOPICS.quarantine,
    // Fail closed (S4): an event the sanitizer cannot decode or process never goes downstream,
    // and its raw bytes go only to the restricted quarantine topic, not the analysts' DLQ.
    onTransformError: 'quarantine',
    onDecodeError: 'quarantine',
    // The first stage reading raw drops producer resends (the SDK delivers at least once).
    dedupeResends,
  },
});
