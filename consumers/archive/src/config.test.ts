import { describe, expect, it } from 'vitest';
import { archiverSettings, ConfigError } from './config.ts';

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
