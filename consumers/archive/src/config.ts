import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  archiveKeySettingsShape,
  archiverSettingsShape,
  presentSettings,
  s3SettingsShape,
} from '@auditflow/schemas';
import { z } from 'zod';
import type { S3Settings } from './store.ts';

// Declared with every service's settings in @auditflow/schemas (doctor checks the same rules).
const s3Schema = z.object(s3SettingsShape);
const keySchema = z.object(archiveKeySettingsShape);
const archiverSchema = z.object(archiverSettingsShape);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function parse<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const parsed = schema.safeParse(presentSettings(env));
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(
    `invalid configuration: ${lines.join('; ')} (for the local stack: eval "$(pnpm -s auditflow stack env)")`,
  );
}

/** Who talks to the archive store: each has its own least-privilege S3 identity where one is set. */
export type S3Role = 'archiver' | 'sweeper' | 'cli';

/**
 * The store's settings; with a role, that role's own credentials
 * (AUDITFLOW_S3_<ROLE>_ACCESS_KEY_ID and _SECRET_ACCESS_KEY, both or neither) take the place of
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
 */
export function s3Settings(env: NodeJS.ProcessEnv = process.env, role?: S3Role): S3Settings {
  const e = parse(s3Schema, env);
  const settings = {
    endpoint: e.S3_ENDPOINT,
    region: e.AWS_REGION,
    bucket: e.S3_BUCKET,
    accessKeyId: e.AWS_ACCESS_KEY_ID,
    secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
  };
  if (!role) return settings;
  const idName = `AUDITFLOW_S3_${role.toUpperCase()}_ACCESS_KEY_ID`;
  const secretName = `AUDITFLOW_S3_${role.toUpperCase()}_SECRET_ACCESS_KEY`;
  const id = env[idName];
  const secret = env[secretName];
  if (!id && !secret) return settings;
  if (!id || !secret)
    throw new ConfigError(`invalid configuration: set both ${idName} and ${secretName}, or neither`);
  return { ...settings, accessKeyId: id, secretAccessKey: secret };
}

export const archiverSettings = (env: NodeJS.ProcessEnv = process.env) => parse(archiverSchema, env);

/** A key given as PEM text or as base64 DER (one line, so it fits an env variable). */
function readKey(text: string, kind: 'private' | 'public'): KeyObject {
  const pem = text.includes('-----BEGIN');
  if (kind === 'private') {
    return pem
      ? createPrivateKey(text)
      : createPrivateKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'pkcs8' });
  }
  return pem
    ? createPublicKey(text)
    : createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
}

/** The Ed25519 key signing digests: AUDITFLOW_ARCHIVE_SIGNING_KEY or …_FILE. */
export function signingKey(env: NodeJS.ProcessEnv = process.env): KeyObject {
  const e = parse(keySchema, env);
  const text =
    e.AUDITFLOW_ARCHIVE_SIGNING_KEY ??
    (e.AUDITFLOW_ARCHIVE_SIGNING_KEY_FILE
      ? readFileSync(e.AUDITFLOW_ARCHIVE_SIGNING_KEY_FILE, 'utf8')
      : undefined);
  if (!text) {
    throw new ConfigError(
      'invalid configuration: AUDITFLOW_ARCHIVE_SIGNING_KEY: set it (Ed25519 private key, PEM or base64 PKCS#8 DER) or AUDITFLOW_ARCHIVE_SIGNING_KEY_FILE; make one with `openssl genpkey -algorithm ed25519`',
    );
  }
  const key = readKey(text.trim(), 'private');
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError(
      `AUDITFLOW_ARCHIVE_SIGNING_KEY: must be an Ed25519 key, not ${key.asymmetricKeyType}`,
    );
  }
  return key;
}

/**
 * The key `verify` trusts: AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE, else the public half of the signing
 * key. Never the copy published in the bucket: whoever could alter the archive could swap it.
 */
export function verifyingKey(env: NodeJS.ProcessEnv = process.env): KeyObject {
  const e = parse(keySchema, env);
  if (e.AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE) {
    return readKey(readFileSync(e.AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE, 'utf8').trim(), 'public');
  }
  return createPublicKey(signingKey(env));
}
