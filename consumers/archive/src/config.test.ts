import { describe, expect, it } from 'vitest';
import { archiverSettings, ConfigError, s3Settings } from './config.ts';

describe('archiverSettings', () => {
  it('takes a folder prefix and the drain timeout', () => {
    const settings = archiverSettings({
      AUDITFLOW_ARCHIVE_PREFIX: 'prod/eu/',
      AUDITFLOW_ARCHIVE_DRAIN_SECONDS: '5',
    });
    expect(settings).toMatchObject({
      AUDITFLOW_ARCHIVE_PREFIX: 'prod/eu/',
      AUDITFLOW_ARCHIVE_DRAIN_SECONDS: 5,
    });
    expect(archiverSettings({}).AUDITFLOW_ARCHIVE_DRAIN_SECONDS).toBe(15);
  });

  it('refuses a prefix under which keys could not be written, naming the variable', () => {
    for (const [prefix, rule] of [
      ['../', /\. or \.\. folders/],
      ['a/./b/', /\. or \.\. folders/],
      [`${'a'.repeat(600)}/`, /512 characters/],
      ['a b/', /folder names/],
      ['no-slash', /folder names/],
    ] as const) {
      expect(() => archiverSettings({ AUDITFLOW_ARCHIVE_PREFIX: prefix }), prefix).toThrow(ConfigError);
      expect(() => archiverSettings({ AUDITFLOW_ARCHIVE_PREFIX: prefix }), prefix).toThrow(
        new RegExp(`AUDITFLOW_ARCHIVE_PREFIX: .*${rule.source}`),
      );
    }
  });
});

describe('s3Settings with a role', () => {
  const base = { AWS_ACCESS_KEY_ID: 'root', AWS_SECRET_ACCESS_KEY: 'root-secret' };

  it("takes the role's own identity when it is set, the store's credentials otherwise", () => {
    const env = {
      ...base,
      AUDITFLOW_S3_SWEEPER_ACCESS_KEY_ID: 'auditflow-sweeper',
      AUDITFLOW_S3_SWEEPER_SECRET_ACCESS_KEY: 'sweeper-secret',
    };
    expect(s3Settings(env, 'sweeper')).toMatchObject({
      accessKeyId: 'auditflow-sweeper',
      secretAccessKey: 'sweeper-secret',
    });
    expect(s3Settings(env, 'cli')).toMatchObject({ accessKeyId: 'root', secretAccessKey: 'root-secret' });
    expect(s3Settings(env)).toMatchObject({ accessKeyId: 'root' });
  });

  it('refuses half an identity, naming both settings', () => {
    expect(() =>
      s3Settings({ ...base, AUDITFLOW_S3_CLI_ACCESS_KEY_ID: 'auditflow-cli' }, 'cli'),
    ).toThrowError(/AUDITFLOW_S3_CLI_ACCESS_KEY_ID and AUDITFLOW_S3_CLI_SECRET_ACCESS_KEY/);
  });
});
