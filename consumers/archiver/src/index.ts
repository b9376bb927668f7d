export { Archiver, type ArchiverConfig } from './archiver.ts';
export { archiverSettings, ConfigError, s3Settings, signingKey, verifyingKey } from './config.ts';
export * from './digest.ts';
export { holdSchema, loadHolds, policyHoldsOf, putHold } from './holds.ts';
export { readTopicSince } from './kafka-range.ts';
export * from './keys.ts';
export { type ReconcileReport, reconcile, reconcileStages } from './reconcile.ts';
export { archivedEventsIn, archiveTenants, REPLAYED_HEADER, replay } from './replay.ts';
export {
  applyLifecycle,
  CLASS_TAG,
  currentLifecycle,
  lifecycleRules,
  markHold,
  releaseHold,
  sweep,
} from './retention.ts';
export { type LegalHold, planRoll, type RollRecord } from './roll.ts';
export { ArchiveStore, type S3Settings, s3Client } from './store.ts';
export { parseWhen } from './time.ts';
export { type ArchiveVerification, type VerifyScope, verifyStore } from './verify.ts';
