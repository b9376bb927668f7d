export {
  DEFAULT_RESEND_WINDOW,
  PartitionWindows,
  ResendWindow,
  resendKey,
  resendWindowFromEnv,
} from './dedup.ts';
export { Processor, type ProcessorConfig, type Transform, type TransformOutcome } from './processor.ts';
export { runProcessorService } from './service.ts';
