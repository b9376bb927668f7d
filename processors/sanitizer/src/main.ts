import { resendWindowFromEnv, runProcessorService } from '@auditflow/processor-runtime';
import { sanitizeEvent, sanitizerContextFromEnv } from '@auditflow/redaction';
import { sanitizerSettings, TOPICS } from '@auditflow/schemas';

await runProcessorService({
  name: 'sanitizer',
  healthPort: 8071,
  settings: sanitizerSettings,
  declare: (env) => {
    const ctx = sanitizerContextFromEnv(env);
    return {
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
        dedupeResends: resendWindowFromEnv(env),
      },
    };
  },
});
