import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@auditflow/kafka';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readSettings, secretSetting } from './env.ts';

describe('readSettings', () => {
  it('names every bad variable and its rule in one ConfigError', () => {
    const schema = z.object({ A_PORT: z.coerce.number().int(), A_URL: z.url('set it to a URL') });
    expect(() => readSettings(schema, { A_PORT: 'x', A_URL: 'nope' })).toThrow(ConfigError);
    expect(() => readSettings(schema, { A_PORT: 'x', A_URL: 'nope' })).toThrow(
      /A_PORT: .*; A_URL: set it to a URL/,
    );
    expect(readSettings(schema, { A_PORT: '8080', A_URL: 'http://x' })).toEqual({
      A_PORT: 8080,
      A_URL: 'http://x',
    });
  });
});

describe('secretSetting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secret-setting-'));
  const file = join(dir, 'token');
  writeFileSync(file, 'from-the-file-0123456789\n');

  it('reads NAME, or NAME_FILE trimmed, or nothing', () => {
    expect(secretSetting('X_TOKEN', { X_TOKEN: 'given' })).toBe('given');
    expect(secretSetting('X_TOKEN', { X_TOKEN_FILE: file })).toBe('from-the-file-0123456789');
    expect(secretSetting('X_TOKEN', {})).toBeUndefined();
  });

  it('refuses both at once and an unreadable file, naming the setting but not the value', () => {
    expect(() => secretSetting('X_TOKEN', { X_TOKEN: 'given', X_TOKEN_FILE: file })).toThrow(
      /X_TOKEN or X_TOKEN_FILE/,
    );
    expect(() => secretSetting('X_TOKEN', { X_TOKEN_FILE: join(dir, 'missing') })).toThrow(
      /X_TOKEN_FILE=.*ENOENT/,
    );
  });
});
