export { deadLetter } from './dead-letter.ts';
export { serveHealth } from './health.ts';
export { createTopicsReady, kafkaWithLogger, onConsumerCrash } from './kafka.ts';
export { Processor, type ProcessorConfig, type Transform, type TransformOutcome } from './processor.ts';
export { processorEnv, runProcessorService } from './service.ts';
export { DecodeError, RegistryUnavailableError, WireCodec } from './wire.ts';
