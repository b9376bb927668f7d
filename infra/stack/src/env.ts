import { loadCredentials } from './credentials.ts';
import type { StackPaths } from './paths.ts';
import { s3User } from './s3-identities.ts';
import { ELASTICSEARCH_URL } from './servers/elasticsearch.ts';
import { KAFKA_PORT } from './servers/kafka.ts';
import { REGISTRY_URL } from './servers/registry.ts';
import { S3_BUCKET, S3_ENDPOINT, S3_REGION } from './servers/s3.ts';

/** The SPEC's `stack env` contract: every client reads these names. */
export const STACK_ENV_KEYS = [
  'KAFKA_BROKERS',
  'SCHEMA_REGISTRY_URL',
  'ELASTICSEARCH_URL',
  'S3_ENDPOINT',
  'S3_BUCKET',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
  'AUDITFLOW_GATEWAY_TOKEN',
  'AUDITFLOW_STREAM_TOKEN',
  'AUDITFLOW_QUERY_TOKEN',
  // Beyond the SPEC's list (extensions): what the processors need locally.
  'AUDITFLOW_PSEUDONYM_KEY',
  'AUDITFLOW_REDACTION_KEY',
  'AUDITFLOW_ARCHIVE_SIGNING_KEY',
  // The archive's least-privilege S3 identities (AWS_* above stay the store's root credentials).
  'AUDITFLOW_S3_ARCHIVER_ACCESS_KEY_ID',
  'AUDITFLOW_S3_ARCHIVER_SECRET_ACCESS_KEY',
  'AUDITFLOW_S3_SWEEPER_ACCESS_KEY_ID',
  'AUDITFLOW_S3_SWEEPER_SECRET_ACCESS_KEY',
  'AUDITFLOW_S3_CLI_ACCESS_KEY_ID',
  'AUDITFLOW_S3_CLI_SECRET_ACCESS_KEY',
] as const;

export type StackEnv = Record<(typeof STACK_ENV_KEYS)[number], string>;

export function stackEnv(paths: StackPaths): StackEnv {
  const credentials = loadCredentials(paths);
  return {
    KAFKA_BROKERS: `127.0.0.1:${KAFKA_PORT}`,
    SCHEMA_REGISTRY_URL: REGISTRY_URL,
    ELASTICSEARCH_URL,
    S3_ENDPOINT,
    S3_BUCKET,
    AWS_ACCESS_KEY_ID: credentials.s3AccessKey,
    AWS_SECRET_ACCESS_KEY: credentials.s3SecretKey,
    AWS_REGION: S3_REGION,
    AUDITFLOW_GATEWAY_TOKEN: credentials.gatewayToken,
    AUDITFLOW_STREAM_TOKEN: credentials.streamToken,
    AUDITFLOW_QUERY_TOKEN: credentials.queryToken,
    AUDITFLOW_PSEUDONYM_KEY: credentials.pseudonymKey,
    AUDITFLOW_REDACTION_KEY: credentials.redactionKey,
    AUDITFLOW_ARCHIVE_SIGNING_KEY: credentials.archiveSigningKey,
    AUDITFLOW_S3_ARCHIVER_ACCESS_KEY_ID: s3User('archiver'),
    AUDITFLOW_S3_ARCHIVER_SECRET_ACCESS_KEY: credentials.s3ArchiverSecret,
    AUDITFLOW_S3_SWEEPER_ACCESS_KEY_ID: s3User('sweeper'),
    AUDITFLOW_S3_SWEEPER_SECRET_ACCESS_KEY: credentials.s3SweeperSecret,
    AUDITFLOW_S3_CLI_ACCESS_KEY_ID: s3User('cli'),
    AUDITFLOW_S3_CLI_SECRET_ACCESS_KEY: credentials.s3CliSecret,
  };
}

/** `KEY=VALUE` lines, single-quoted where the shell would otherwise split or expand. */
export function formatEnv(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(
      ([key, value]) =>
        `${key}=${/^[\w@%+=:,./-]*$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`}`,
    )
    .join('\n');
}
