import { secretFingerprint } from '@auditflow/schemas';
import { describe, expect, it } from 'vitest';
import { redactionKeyFromEnv, secretFromInput, secretValueFingerprint } from './secret-value.ts';

const key = Buffer.alloc(32, 3);

describe('search --secret-value', () => {
  it('drops the one trailing newline of echo or a file, nothing else', () => {
    expect(secretFromInput('ghp_abc\n')).toBe('ghp_abc');
    expect(secretFromInput('ghp_abc\r\n')).toBe('ghp_abc');
    expect(secretFromInput(' spaced secret \n\n')).toBe(' spaced secret \n');
    expect(() => secretFromInput('')).toThrow(/no secret value/);
  });

  it('sends the keyed fingerprint the sanitizer writes, never the value', () => {
    expect(secretValueFingerprint(key, Buffer.from('hunter2\n'))).toBe(secretFingerprint(key, 'hunter2'));
    expect(secretValueFingerprint(key, 'hunter2')).not.toContain('hunter2');
  });

  it('names the setting when the key is missing or malformed', () => {
    expect(() => redactionKeyFromEnv({})).toThrow(/AUDITFLOW_REDACTION_KEY/);
    expect(() => redactionKeyFromEnv({ AUDITFLOW_REDACTION_KEY: 'short' })).toThrow(/hex, 32\+ bytes/);
    expect(redactionKeyFromEnv({ AUDITFLOW_REDACTION_KEY: '03'.repeat(32) })).toEqual(key);
  });
});
