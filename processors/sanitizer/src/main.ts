import { readFileSync } from 'node:fs';
import { runProcessorService } from '@auditflow/processor-runtime';
import { TOPICS } from '@auditflow/schemas';
import { loadPiiPolicy } from './policy.ts';
import { loadRuleset } from './rules.ts';
import { sanitizeEvent } from './sanitize.ts';

/** The pseudonymisation key: AUDITFLOW_PSEUDONYM_KEY (hex, >= 32 bytes) or a file holding it. */
function pseudonymKey(env: NodeJS.ProcessEnv): Buffer {
  const text =
    env.AUDITFLOW_PSEUDONYM_KEY ??
    (env.AUDITFLOW_PSEUDONYM_KEY_FILE
      ? readFileSync(env.AUDITFLOW_PSEUDONYM_KEY_FILE, 'utf8').trim()
      : undefined);
  if (!text || !/^[0-9a-f]{64,}$/i.test(text)) {
    throw new Error(
      'AUDITFLOW_PSEUDONYM_KEY (or AUDITFLOW_PSEUDONYM_KEY_FILE) must hold at least 32 bytes as hex: generate one with `openssl rand -hex 32`',
    );
  }
  return Buffer.from(text, 'hex');
}

const ctx = {
  ruleset: loadRuleset(process.env.AUDITFLOW_SANITIZER_RULES),
  policy: loadPiiPolicy(process.env.AUDITFLOW_PII_POLICY),
  pseudonymKey: pseudonymKey(process.env),
};

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
    // Fail closed (S4): an event the sanitizer cannot process never goes downstream.
    onTransformError: 'quarantine',
  },
});
