export { PartitionBackoff } from './backoff.ts';
export { deadLetter } from './dead-letter.ts';
export { classifyBulkItem, classifyFailure, type FailureClass, retriableStatus } from './failure.ts';
export { createTopicsReady, kafkaWithLogger, onConsumerCrash } from './kafka.ts';
export { resendKey } from './resend-key.ts';
export { type RoutingTime, receivedAtOf, routingTime } from './routing.ts';
export { StableOffsetReader, StableOffsetsUnsupportedError } from './stable-offsets.ts';
export { DecodeError, RegistryUnavailableError, WireCodec } from './wire.ts';
