export {
  type EnricherContext,
  enrichEvent,
  enricherContextFromEnv,
  fingerprint,
  loadMetadata,
  type Metadata,
} from './enrich.ts';
