export { Archiver, type ArchiverConfig } from './archiver.ts';
export { archiverSettings, ConfigError, s3Settings, signingKey, verifyingKey } from './config.ts';
export * from './digest.ts';
export { holdSchema, loadHolds, policyHoldsOf, putHold } from './holds.ts';
export * from './keys.ts';
export { type LegalHold, planRoll, type RollRecord } from './roll.ts';
export { ArchiveStore, type S3Settings, s3Client } from './store.ts';
export { type ArchiveVerification, type VerifyScope, verifyStore } from './verify.ts';
