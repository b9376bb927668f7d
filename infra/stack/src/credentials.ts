import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StackPaths } from './paths.ts';

/**
 * Secrets of the local stack: made at random on first use and kept (mode 0600) beside the
 * stack's data, so every `stack env` prints the same values and nothing is hard-coded.
 */
export interface StackCredentials {
  readonly s3AccessKey: string;
  readonly s3SecretKey: string;
  /** Secrets of the archive's own S3 identities (users auditflow-archiver, -sweeper, -cli). */
  readonly s3ArchiverSecret: string;
  readonly s3SweeperSecret: string;
  readonly s3CliSecret: string;
  readonly gatewayToken: string;
  readonly streamToken: string;
  readonly queryToken: string;
  /** Key of the sanitizer's keyed pseudonyms (hex, 32 bytes). */
  readonly pseudonymKey: string;
  /** Key of the fingerprints in redaction markers (hex, 32 bytes): `auditflow search --secret-value`. */
  readonly redactionKey: string;
  /** Ed25519 private key signing the archive's digests (PKCS#8 DER, base64). */
  readonly archiveSigningKey: string;
}

const token = (prefix: string): string => `${prefix}_${randomBytes(24).toString('base64url')}`;
/**
 * An S3 secret: hex, never base64url, whose `-` can lead the value and a command line tool
 * (MinIO's mc, given the secrets as arguments) then reads it as a flag.
 */
const s3Secret = (): string => randomBytes(24).toString('hex');
/** Secrets an earlier version made that mc misreads as a flag: made again (mc updates the user). */
const S3_ROLE_SECRETS = ['s3ArchiverSecret', 's3SweeperSecret', 's3CliSecret'] as const;

const KEYS = [
  's3AccessKey',
  's3SecretKey',
  's3ArchiverSecret',
  's3SweeperSecret',
  's3CliSecret',
  'gatewayToken',
  'streamToken',
  'queryToken',
  'pseudonymKey',
  'redactionKey',
  'archiveSigningKey',
] as const;

function isComplete(value: Partial<StackCredentials>): value is StackCredentials {
  return KEYS.every((key) => typeof value[key] === 'string');
}

export function loadCredentials(paths: StackPaths): StackCredentials {
  const file = join(paths.run, 'credentials.json');
  const existing = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<StackCredentials>)
    : {};
  for (const key of S3_ROLE_SECRETS) if (existing[key]?.startsWith('-')) delete existing[key];
  if (isComplete(existing)) return existing;
  // Keys added by a newer version are made once and kept alongside the old ones.
  const credentials: StackCredentials = {
    s3AccessKey: `auditflow${randomBytes(6).toString('hex')}`,
    s3SecretKey: randomBytes(24).toString('base64url'),
    s3ArchiverSecret: s3Secret(),
    s3SweeperSecret: s3Secret(),
    s3CliSecret: s3Secret(),
    gatewayToken: token('afgw'),
    streamToken: token('afst'),
    queryToken: token('afq'),
    pseudonymKey: randomBytes(32).toString('hex'),
    redactionKey: randomBytes(32).toString('hex'),
    archiveSigningKey: generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'der' })
      .toString('base64'),
    ...existing,
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}
