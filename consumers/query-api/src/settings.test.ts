import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  capabilityWarnings,
  isUnavailable,
  type QueryApiCapabilities,
  readQueryApiCapabilities,
} from './settings.ts';

const dir = mkdtempSync(join(tmpdir(), 'query-api-settings-'));
const publicKeyFile = join(dir, 'archive-public.pem');
writeFileSync(
  publicKeyFile,
  generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string,
);
const browser = join(dir, 'chromium');
writeFileSync(browser, '#!/bin/sh\n');
chmodSync(browser, 0o755);
const notExecutable = join(dir, 'not-a-browser');
writeFileSync(notExecutable, 'text');

/** The API's required settings, no optional part, and a PATH without a browser. */
const base = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  ELASTICSEARCH_URL: 'http://127.0.0.1:9200',
  AUDITFLOW_QUERY_TOKEN: 'afq_0123456789abcdef',
  PATH: join(dir, 'none'),
};
const full = {
  ...base,
  S3_ENDPOINT: 'http://127.0.0.1:9000',
  AUDITFLOW_S3_CLI_ACCESS_KEY_ID: 'auditflow-cli',
  AUDITFLOW_S3_CLI_SECRET_ACCESS_KEY: 'a-long-secret-key',
  AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE: publicKeyFile,
  AUDITFLOW_PSEUDONYM_KEY: 'ab'.repeat(32),
  AUDITFLOW_CHROMIUM: browser,
};

const opened: QueryApiCapabilities[] = [];
const read = (env: NodeJS.ProcessEnv) => {
  const capabilities = readQueryApiCapabilities(env);
  opened.push(capabilities);
  return capabilities;
};
afterAll(async () => {
  for (const { reports } of opened) if (!isUnavailable(reports)) await reports.es.close();
});

/** The start's error for `env`: one line. */
const refusal = (env: NodeJS.ProcessEnv): string => {
  try {
    read(env);
  } catch (err) {
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('the settings were accepted');
};

describe('query API settings at start', () => {
  it('turns every optional part on when its settings are there', () => {
    const capabilities = read(full);
    expect(capabilityWarnings(capabilities)).toEqual([]);
    expect(capabilities.chromium).toBe(browser);
    expect(isUnavailable(capabilities.pseudonymKey)).toBe(false);
    expect((capabilities.pseudonymKey as Buffer).toString('hex')).toBe('ab'.repeat(32));
    const { reports } = capabilities;
    if (isUnavailable(reports)) throw new Error(reports.message);
    expect(reports.publicKey.asymmetricKeyType).toBe('ed25519');
    expect(reports.rollWindowMs).toBe(30_000);
  });

  it('warns once per part left off, naming the setting and what is off', () => {
    const warnings = capabilityWarnings(read(base));
    expect(warnings.map((w) => w.setting)).toEqual([
      'AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE',
      'AUDITFLOW_PSEUDONYM_KEY',
    ]);
    expect(warnings[0]?.message).toContain('GET /v1/reports');
    expect(warnings[1]?.message).toContain('POST /v1/erasures');
    // Reports on, no browser: only PDF is off.
    const { AUDITFLOW_CHROMIUM: _browser, ...noBrowser } = full;
    expect(capabilityWarnings(read(noBrowser))).toEqual([
      { setting: 'AUDITFLOW_CHROMIUM', message: expect.stringContaining('PDF reports') },
    ]);
  });

  it('finds chromium on the PATH when AUDITFLOW_CHROMIUM is unset', () => {
    const { AUDITFLOW_CHROMIUM: _browser, ...onPath } = full;
    expect(read({ ...onPath, PATH: dir }).chromium).toBe(browser);
  });

  it('refuses a malformed setting with one line naming the variable and the rule', () => {
    expect(refusal({ ...full, AUDITFLOW_PSEUDONYM_KEY: 'not-hex' })).toContain(
      'AUDITFLOW_PSEUDONYM_KEY: must hold at least 32 bytes as hex',
    );
    expect(refusal({ ...full, AUDITFLOW_CHROMIUM: join(dir, 'missing') })).toContain(
      `AUDITFLOW_CHROMIUM: file ${join(dir, 'missing')} does not exist`,
    );
    expect(refusal({ ...full, AUDITFLOW_CHROMIUM: notExecutable })).toContain(
      `AUDITFLOW_CHROMIUM: ${notExecutable} is not an executable file`,
    );
    expect(refusal({ ...full, AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE: notExecutable })).toMatch(
      /^AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE: /,
    );
    expect(refusal({ ...full, AUDITFLOW_ARCHIVE_PREFIX: 'no-slash' })).toContain(
      'AUDITFLOW_ARCHIVE_PREFIX: must be empty or folder names ending in /',
    );
    expect(refusal({ ...full, S3_ENDPOINT: 'minio:9000' })).toContain(
      'S3_ENDPOINT: must be an http:// or https:// URL',
    );
    const { AUDITFLOW_S3_CLI_SECRET_ACCESS_KEY: _secret, ...loneKey } = full;
    expect(refusal(loneKey)).toContain(
      'AUDITFLOW_S3_CLI_SECRET_ACCESS_KEY: not set, while AUDITFLOW_S3_CLI_ACCESS_KEY_ID is',
    );
    const keyFile = join(dir, 'pseudonym.key');
    writeFileSync(keyFile, 'short\n');
    const { AUDITFLOW_PSEUDONYM_KEY: _key, ...viaFile } = full;
    expect(refusal({ ...viaFile, AUDITFLOW_PSEUDONYM_KEY_FILE: keyFile })).toContain(
      'AUDITFLOW_PSEUDONYM_KEY (or AUDITFLOW_PSEUDONYM_KEY_FILE) must hold at least 32 bytes as hex',
    );
  });
});
