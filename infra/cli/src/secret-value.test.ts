import { secretFingerprint } from '@auditflow/schemas';
import { describe, expect, it } from 'vitest';
import { redactionKeysFromEnv, secretFromInput, secretValueFingerprints } from './secret-value.ts';

const key = Buffer.alloc(32, 3);

describe('search --secret-value', () => {
  it('drops the one trailing newline of echo or a file, nothing else', () => {
    expect(secretFromInput('ghp_abc\n')).toBe('ghp_abc');
    expect(secretFromInput('ghp_abc\r\n')).toBe('ghp_abc');
    expect(secretFromInput(' spaced secret \n\n')).toBe(' spaced secret \n');
    expect(() => secretFromInput('')).toThrow(/no secret value/);
  });

  it('sends the keyed fingerprint the sanitizer writes, never the value', () => {
    expect(secretValueFingerprints([key], Buffer.from('hunter2\n'))).toEqual([
      secretFingerprint(key, 'hunter2'),
    ]);
    expect(secretValueFingerprints([key], 'hunter2').join()).not.toContain('hunter2');
  });

  it('names the setting when the key is missing or malformed', () => {
    expect(() => redactionKeysFromEnv({})).toThrow(/AUDITFLOW_REDACTION_KEY/);
    expect(() => redactionKeysFromEnv({ AUDITFLOW_REDACTION_KEY: 'short' })).toThrow(
      /at least 32 bytes as hex/,
    );
    expect(redactionKeysFromEnv({ AUDITFLOW_REDACTION_KEY: '03'.repeat(32) })).toEqual([key]);
  });

  it('also looks with the keys used before a rotation', () => {
    const old = Buffer.alloc(32, 9);
    const keys = redactionKeysFromEnv({
      AUDITFLOW_REDACTION_KEY: '03'.repeat(32),
      AUDITFLOW_REDACTION_KEYS_PREVIOUS: ` ${'09'.repeat(32)} `,
    });
    expect(keys).toEqual([key, old]);
    expect(secretValueFingerprints(keys, 'hunter2')).toEqual([
      secretFingerprint(key, 'hunter2'),
      secretFingerprint(old, 'hunter2'),
    ]);
    expect(() =>
      redactionKeysFromEnv({
        AUDITFLOW_REDACTION_KEY: '03'.repeat(32),
        AUDITFLOW_REDACTION_KEYS_PREVIOUS: 'x',
      }),
    ).toThrow(/key 1 is not hex/);
  });
});
