export {
  archiverSettings,
  ConfigError,
  type S3Role,
  s3Settings,
  signingKey,
  verifyingKey,
} from './config.ts';
export * from './digest.ts';
export {
  chainOf,
  digestKeyOfHead,
  HEAD_EVENT_ACTION,
  HEADS_PREFIX,
  headEvent,
  headKey,
  listHeads,
  publishHead,
  storeDigest,
  truncations,
} from './heads.ts';
export { holdSchema, loadHolds, policyHoldsOf, putHold } from './holds.ts';
export { eachRecordSince, readTopicSince } from './kafka-range.ts';
export * from './keys.ts';
export {
  EMPTY_TREE_HASH,
  inclusionPath,
  leafHash,
  nodeHash,
  rootFromInclusionProof,
  rootOfLeafHashes,
} from './merkle.ts';
export {
  digestTree,
  EventNotArchivedError,
  eventLines,
  type InclusionProof,
  inclusionProofFor,
  PROOF_FORMAT,
  type ProofCheck,
  proveEvent,
  verifyInclusionProof,
} from './proof.ts';
export {
  DEFAULT_GROUPS,
  type Gap,
  type InFlight,
  type ReconcileReport,
  reconcile,
  reconcileStages,
  type StageTenantSummary,
} from './reconcile.ts';
export { archivedEventsIn, archiveTenantSegments, REPLAYED_HEADER, replay } from './replay.ts';
export {
  applyLifecycle,
  CLASS_TAG,
  currentLifecycle,
  lifecycleRules,
  markHold,
  releaseHold,
  sweep,
} from './retention.ts';
export {
  type ClassPolicy,
  type ClassReport,
  classPolicies,
  holdInPeriod,
  inferClass,
  type LifecycleState,
  lifecycleStateOf,
  type RetentionReport,
  type RetentionReportOptions,
  retentionReport,
  type SweepRecord,
  summariseClass,
} from './retention-report.ts';
export {
  DEFAULT_MAX_PREFIXES_PER_ROLL,
  InvalidRecordError,
  type LegalHold,
  type OpenRoll,
  type PlannedObject,
  planRoll,
  type RollLimits,
  type RollRecord,
  rollIsDue,
  rollRecord,
} from './roll.ts';
export { ArchiveStore, type S3Settings, s3Client } from './store.ts';
export { parseWhen } from './time.ts';
export { type ArchiveVerification, type VerifyScope, verifyStore } from './verify.ts';
