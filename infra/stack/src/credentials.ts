import { randomBytes } from 'node:crypto';
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
  readonly gatewayToken: string;
  readonly streamToken: string;
  readonly queryToken: string;
}

const token = (prefix: string): string => `${prefix}_${randomBytes(24).toString('base64url')}`;

export function loadCredentials(paths: StackPaths): StackCredentials {
  const file = join(paths.run, 'credentials.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as StackCredentials;
  const credentials: StackCredentials = {
    s3AccessKey: `auditflow${randomBytes(6).toString('hex')}`,
    s3SecretKey: randomBytes(24).toString('base64url'),
    gatewayToken: token('afgw'),
    streamToken: token('afst'),
    queryToken: token('afq'),
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}
