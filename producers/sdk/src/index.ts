export { type KafkaSecurity, kafkaSecurityFromEnv } from '@auditflow/kafka';
export { type AuditEventInput, EventValidationError } from '@auditflow/schemas';
export { classifyError } from './classify.ts';
export {
  type AuditProducerConfig,
  ConfigError,
  type LocalProducerConfig,
  localProducerConfigSchema,
  producerConfigSchema,
} from './config.ts';
export {
  CORRELATION_ENV,
  type CorrelationContext,
  correlationEnv,
  currentCorrelation,
  newCorrelationId,
  TRACEPARENT_ENV,
  withCorrelation,
} from './correlation.ts';
export { type AuditEmitter, type AuditEmitterConfig, createAuditProducer } from './emitter.ts';
export { type InstrumentedEvent, instrument } from './instrument.ts';
export {
  LOCAL_SINK_MAX_BUFFERED_BYTES,
  LocalAuditProducer,
  type LocalProducerOptions,
  SanitizeFailedError,
} from './local.ts';
export { ProducerMetrics } from './metrics.ts';
export {
  AuditProducer,
  type AuditProducerOptions,
  type EmitReceipt,
  FlushTimeoutError,
  ProducerClosedError,
} from './producer.ts';
export { brokerRefusal } from './refusal.ts';
export {
  FILE_SINK_DEFAULTS,
  type LocalSinkConfig,
  parseBytes,
  SINK_KINDS,
  SINK_SETTINGS,
  type SinkConfig,
  type SinkKind,
  sinkFromEnv,
} from './sink-config.ts';
export { SET_ASIDE_FILE, SpoolFullError, SpoolLockedError } from './spool.ts';
export type { EmitOptions } from './stamp.ts';
