import { randomBytes } from 'node:crypto';
import { enrichEvent, enricherContextFromEnv } from '@auditflow/enricher';
import { fusedTransform } from '@auditflow/fused-processor';
import { Processor } from '@auditflow/processor-runtime';
import { createSanitizerContext, sanitizeEvent } from '@auditflow/sanitizer';
import type { Transform } from '@auditflow/stage';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { endpoints } from './endpoints.ts';
import type { PipelineTopics } from './pipeline-topics.ts';

export const PSEUDONYM_KEY = randomBytes(32);
/** The fingerprint key of the in-process sanitizers, for tests that look a secret up. */
export const REDACTION_KEY = randomBytes(32);

export function sanitizerTransform(key: Buffer = PSEUDONYM_KEY): Transform {
  const ctx = createSanitizerContext({ pseudonymKey: key, redactionKey: REDACTION_KEY });
  return (event) => ({ kind: 'forward', event: sanitizeEvent(event, ctx) });
}

export function enricherTransform(): Transform {
  const ctx = enricherContextFromEnv();
  return (event) => ({ kind: 'forward', event: enrichEvent(event, ctx) });
}

/** Both transforms in one stage (raw -> clean), as the fused processor service runs them. */
export function fusedStageTransform(key: Buffer = PSEUDONYM_KEY): Transform {
  return fusedTransform(
    createSanitizerContext({ pseudonymKey: key, redactionKey: REDACTION_KEY }),
    enricherContextFromEnv(),
  );
}

export type Stage = 'sanitizer' | 'enricher' | 'fused';

/** A sanitizer, enricher or fused processor on a test's private topics, in this process. */
export function stageProcessor(
  stage: Stage,
  topics: PipelineTopics,
  options: {
    instanceId?: string;
    maxMessageBytes?: number;
    brokers?: string;
    /** Drop producer resends with this window per partition (the sanitizer service does). */
    dedupeWindow?: number;
    registry?: Registry;
  } = {},
): Processor {
  // The fused stage reads raw and fails closed like the sanitizer; it writes clean like the enricher.
  const sanitizer = stage !== 'enricher';
  return new Processor(
    {
      name: stage,
      brokers: (options.brokers ?? endpoints().KAFKA_BROKERS).split(','),
      registryUrl: endpoints().SCHEMA_REGISTRY_URL,
      groupId: `${topics.raw}.${stage}`,
      inputTopic: sanitizer ? topics.raw : topics.sanitized,
      outputTopic: stage === 'sanitizer' ? topics.sanitized : topics.clean,
      dlqTopic: topics.dlq,
      quarantineTopic: topics.quarantine,
      instanceId: options.instanceId ?? `${stage}-${process.pid}`,
      maxMessageBytes: options.maxMessageBytes,
      onTransformError: sanitizer ? 'quarantine' : 'dlq',
      onDecodeError: sanitizer ? 'quarantine' : 'dlq',
      dedupeResends: options.dedupeWindow ? { windowPerPartition: options.dedupeWindow } : undefined,
    },
    stage === 'fused' ? fusedStageTransform() : sanitizer ? sanitizerTransform() : enricherTransform(),
    {
      logger: pino({ level: process.env.AUDITFLOW_TEST_LOG ?? 'silent' }),
      registry: options.registry ?? new Registry(),
    },
  );
}
