export { type KafkaSecurity, kafkaSecurityFromEnv } from '@auditflow/kafka';
export { type AuditEventInput, EventValidationError } from '@auditflow/schemas';
export { classifyError } from './classify.ts';
export { type AuditProducerConfig, ConfigError, producerConfigSchema } from './config.ts';
export {
  CORRELATION_ENV,
  type CorrelationContext,
  correlationEnv,
  currentCorrelation,
  newCorrelationId,
  TRACEPARENT_ENV,
  withCorrelation,
} from './correlation.ts';
export { type InstrumentedEvent, instrument } from './instrument.ts';
export { ProducerMetrics } from './metrics.ts';
export {
  AuditProducer,
  createAuditProducer,
  type EmitOptions,
  type EmitReceipt,
  FlushTimeoutError,
  ProducerClosedError,
} from './producer.ts';
export { brokerRefusal } from './refusal.ts';
export { SET_ASIDE_FILE, SpoolFullError, SpoolLockedError } from './spool.ts';
