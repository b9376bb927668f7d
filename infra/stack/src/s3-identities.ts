import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCredentials, type StackCredentials } from './credentials.ts';
import { run } from './exec.ts';
import { installGoBinary } from './install.ts';
import type { StackPaths } from './paths.ts';

/**
 * Least privilege for the archive (issue 19): the archiver, the retention sweeper and the CLI
 * each have their own S3 identity instead of the store's root credentials. The policies are
 * files (infra/minio/<role>-policy.json) shared with docker-compose's minio-init:
 *   archiver  puts objects with their retention and legal hold; never deletes, never bypasses
 *             governance retention (Object Lock then refuses every early delete of its objects)
 *   sweeper   reads, deletes data objects (tenant=...) only, which Object Lock allows once their
 *             retention has passed, and records what it deleted; never bypasses governance
 *   cli       reads everything, sets lifecycle rules and legal holds, keeps hold records
 */

export const S3_ROLES = ['archiver', 'sweeper', 'cli'] as const;
export type S3Role = (typeof S3_ROLES)[number];

/** The MinIO client, built from the Go module proxy like the server (its newest commit there). */
export const MC_VERSION = 'v0.0.0-20250313080218-cf909e1063a9';
export const MINIO_POLICY_DIR = fileURLToPath(new URL('../../minio/', import.meta.url));

/** The user name (access key) of a role; stable, so compose and the local stack agree. */
export const s3User = (role: S3Role): string => `auditflow-${role}`;
export const s3PolicyName = (role: S3Role): string => `auditflow-${role}`;
export const s3PolicyFile = (role: S3Role): string => join(MINIO_POLICY_DIR, `${role}-policy.json`);

/** Env names a role's credentials are exported under by `stack env`, read by s3Settings(env, role). */
export const s3RoleEnv = (role: S3Role) =>
  ({
    accessKeyId: `AUDITFLOW_S3_${role.toUpperCase()}_ACCESS_KEY_ID`,
    secretAccessKey: `AUDITFLOW_S3_${role.toUpperCase()}_SECRET_ACCESS_KEY`,
  }) as const;

export function s3RoleSecret(credentials: StackCredentials, role: S3Role): string {
  return {
    archiver: credentials.s3ArchiverSecret,
    sweeper: credentials.s3SweeperSecret,
    cli: credentials.s3CliSecret,
  }[role];
}

const mcDir = (paths: StackPaths): string => join(paths.cache, 'dist', `mc-${MC_VERSION}`);

export function installMc(paths: StackPaths, report?: (line: string) => void): Promise<void> {
  return installGoBinary(mcDir(paths), 'github.com/minio/mc', MC_VERSION, report);
}

/**
 * Creates (or updates) each role's policy and user and attaches the policy, with the root
 * credentials; idempotent, so every `stack up` brings a running MinIO to the current policies.
 */
export async function ensureS3Identities(
  paths: StackPaths,
  endpoint: string,
  report?: (line: string) => void,
): Promise<void> {
  await installMc(paths, report);
  const credentials = loadCredentials(paths);
  const url = new URL(endpoint);
  url.username = encodeURIComponent(credentials.s3AccessKey);
  url.password = encodeURIComponent(credentials.s3SecretKey);
  // The alias lives in the environment only: no mc config file with the root secret is written.
  const env = {
    ...process.env,
    MC_HOST_auditflow: url.toString().replace(/\/$/, ''),
    MC_CONFIG_DIR: join(paths.run, 'mc'),
  };
  const mc = (args: string[], what: string) =>
    run(join(mcDir(paths), 'bin', 'mc'), ['--no-color', ...args], {
      env,
      what,
      hint: 'is MinIO up? see `pnpm auditflow stack logs s3`',
    });
  for (const role of S3_ROLES) {
    await mc(
      ['admin', 'policy', 'create', 'auditflow', s3PolicyName(role), s3PolicyFile(role)],
      `creating the S3 policy ${s3PolicyName(role)}`,
    );
    await mc(
      ['admin', 'user', 'add', 'auditflow', s3User(role), s3RoleSecret(credentials, role)],
      `creating the S3 user ${s3User(role)}`,
    );
    await mc(
      ['admin', 'policy', 'attach', 'auditflow', s3PolicyName(role), '--user', s3User(role)],
      `attaching ${s3PolicyName(role)} to ${s3User(role)}`,
    );
  }
}
