export {
  DEFAULT_RESEND_WINDOW,
  PartitionWindows,
  ResendWindow,
  resendWindowFromEnv,
} from './dedup.ts';
export { Processor, type ProcessorConfig } from './processor.ts';
export { runProcessorService } from './service.ts';
