export { PartitionBackoff } from './backoff.ts';
export { deadLetter } from './dead-letter.ts';
export {
  DEFAULT_RESEND_WINDOW,
  PartitionWindows,
  ResendWindow,
  resendKey,
  resendWindowFromEnv,
} from './dedup.ts';
export { classifyBulkItem, classifyFailure, type FailureClass, retriableStatus } from './failure.ts';
export { serveHealth } from './health.ts';
export { createTopicsReady, kafkaWithLogger, onConsumerCrash } from './kafka.ts';
export { Processor, type ProcessorConfig, type Transform, type TransformOutcome } from './processor.ts';
export { type RoutingTime, receivedAtOf, routingTime } from './routing.ts';
export { processorEnv, runProcessorService } from './service.ts';
export { StableOffsetReader, StableOffsetsUnsupportedError } from './stable-offsets.ts';
export { DecodeError, RegistryUnavailableError, WireCodec } from './wire.ts';
