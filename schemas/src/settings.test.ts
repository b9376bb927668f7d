import { describe, expect, it } from 'vitest';
import {
  gatewaySettings,
  indexerSettings,
  presentSettings,
  queryApiSettings,
  SERVICE_SETTINGS,
  sanitizerSettings,
  settingMetaOf,
  stageSettingsShape,
} from './settings.ts';

/** What `auditflow stack env` gives the services (values of the same shape). */
const local = {
  KAFKA_BROKERS: '127.0.0.1:9092',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081/apis/ccompat/v7',
  ELASTICSEARCH_URL: 'http://127.0.0.1:9200',
  S3_ENDPOINT: 'http://127.0.0.1:9000',
  AWS_ACCESS_KEY_ID: 'auditflow',
  AWS_SECRET_ACCESS_KEY: 'a-long-secret-key',
  AUDITFLOW_GATEWAY_TOKEN: 'afgw_0123456789abcdef',
  AUDITFLOW_QUERY_TOKEN: 'afq_0123456789abcdef',
  AUDITFLOW_STREAM_TOKEN: 'afs_0123456789abcdef',
  AUDITFLOW_PSEUDONYM_KEY: 'ab'.repeat(32),
  AUDITFLOW_REDACTION_KEY: 'cd'.repeat(32),
};

describe('service settings', () => {
  it("accept the local stack's environment for every service, with the defaults filled in", () => {
    for (const { service, schema } of SERVICE_SETTINGS) {
      expect(schema.safeParse(local).success, service).toBe(true);
    }
    expect(indexerSettings.parse(local)).toMatchObject({
      AUDITFLOW_INDEX_PREFIX: 'audit-events',
      AUDITFLOW_SEARCH_RETENTION_DAYS: 365,
      AUDITFLOW_HEALTH_PORT: 8073,
      AUDITFLOW_MAX_EVENT_BYTES: 1_048_576,
    });
  });

  it('every Kafka service reads the stage settings with the same rules', () => {
    for (const { service, schema } of SERVICE_SETTINGS) {
      for (const variable of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL'] as const) {
        expect(schema.shape[variable], `${service} ${variable}`).toBe(stageSettingsShape[variable]);
      }
    }
  });

  it('name the variable and the rule, and say "not set" for a missing one', () => {
    const issues = gatewaySettings
      .safeParse({ ...local, KAFKA_BROKERS: undefined, SCHEMA_REGISTRY_URL: 'registry:8081' })
      .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues).toEqual([
      'KAFKA_BROKERS: not set: set it to the Kafka bootstrap servers, e.g. 127.0.0.1:9092',
      'SCHEMA_REGISTRY_URL: must be an http:// or https:// URL',
    ]);
  });

  it('take a secret or the file holding it, a token or a clients file', () => {
    const { AUDITFLOW_GATEWAY_TOKEN: _t, AUDITFLOW_PSEUDONYM_KEY: _k, ...rest } = local;
    expect(gatewaySettings.safeParse(rest).error?.issues[0]).toMatchObject({
      path: ['AUDITFLOW_GATEWAY_TOKEN'],
      message: expect.stringContaining('not set (nor AUDITFLOW_GATEWAY_CLIENTS_FILE)'),
    });
    expect(gatewaySettings.safeParse({ ...rest, AUDITFLOW_GATEWAY_CLIENTS_FILE: '/c.json' }).success).toBe(
      true,
    );
    expect(sanitizerSettings.safeParse(rest).error?.issues.map((i) => i.path[0])).toEqual([
      'AUDITFLOW_PSEUDONYM_KEY',
    ]);
    expect(sanitizerSettings.safeParse({ ...rest, AUDITFLOW_PSEUDONYM_KEY_FILE: '/k.hex' }).success).toBe(
      true,
    );
  });

  it("carry doctor's notes through optional and default: the fix, files, secrets", () => {
    expect(settingMetaOf(gatewaySettings.shape.AUDITFLOW_GATEWAY_CLIENTS_FILE)).toMatchObject({ file: true });
    expect(settingMetaOf(gatewaySettings.shape.AUDITFLOW_GATEWAY_TOKEN)).toMatchObject({ secret: true });
    expect(settingMetaOf(indexerSettings.shape.AUDITFLOW_INDEX_PREFIX)?.fix).toContain('audit-events');
    expect(settingMetaOf(indexerSettings.shape.AUDITFLOW_HEALTH_PORT)?.fix).toContain('8073');
  });

  it('read an empty variable as unset', () => {
    expect(presentSettings({ A: '', B: 'x', C: undefined })).toEqual({ B: 'x' });
    expect(
      indexerSettings.parse(presentSettings({ ...local, AUDITFLOW_INDEX_PREFIX: '' })).AUDITFLOW_INDEX_PREFIX,
    ).toBe('audit-events');
  });

  it('the query API checks its report and erasure settings too (doctor reads the same schema)', () => {
    const issues = (env: object) =>
      queryApiSettings
        .safeParse({ ...local, ...env })
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ AUDITFLOW_ARCHIVE_PREFIX: 'prod', AUDITFLOW_PSEUDONYM_KEY: 'xyz' })).toEqual([
      'AUDITFLOW_ARCHIVE_PREFIX: must be empty or folder names ending in /',
      'AUDITFLOW_PSEUDONYM_KEY: must hold at least 32 bytes as hex',
    ]);
    expect(issues({ AUDITFLOW_S3_CLI_ACCESS_KEY_ID: 'cli' })).toEqual([
      'AUDITFLOW_S3_CLI_SECRET_ACCESS_KEY: not set, while AUDITFLOW_S3_CLI_ACCESS_KEY_ID is: set both AUDITFLOW_S3_CLI_ACCESS_KEY_ID and AUDITFLOW_S3_CLI_SECRET_ACCESS_KEY, or neither',
    ]);
    expect(settingMetaOf(queryApiSettings.shape.AUDITFLOW_CHROMIUM)?.file).toBe(true);
  });
});
