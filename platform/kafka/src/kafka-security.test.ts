import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaSecurityFromEnv } from './kafka-security.ts';

const dir = mkdtempSync(join(tmpdir(), 'kafka-security-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('kafkaSecurityFromEnv', () => {
  it('is plaintext when nothing is set', () => {
    expect(kafkaSecurityFromEnv({})).toEqual({});
  });

  it('reads TLS with a private CA and mutual TLS, verifying the server by default', () => {
    const security = kafkaSecurityFromEnv({
      KAFKA_SSL_CA_FILE: file('ca.pem', 'CA'),
      KAFKA_SSL_CERT_FILE: file('cert.pem', 'CERT'),
      KAFKA_SSL_KEY_FILE: file('key.pem', 'KEY'),
    });
    expect(security.ssl).toEqual({ rejectUnauthorized: true, ca: ['CA'], cert: 'CERT', key: 'KEY' });
    expect(kafkaSecurityFromEnv({ KAFKA_SSL: 'true' }).ssl).toEqual({ rejectUnauthorized: true });
  });

  it('reads SASL, with the password from a file', () => {
    expect(
      kafkaSecurityFromEnv({
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'auditflow',
        KAFKA_SASL_PASSWORD_FILE: file('password', 's3cret-pass\n'),
      }).sasl,
    ).toEqual({ mechanism: 'scram-sha-512', username: 'auditflow', password: 's3cret-pass' });
  });

  it('names the setting and the fix, and never echoes the password', () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'hunter2-secret' }, /needs KAFKA_SASL_USERNAME/],
      [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }, /needs KAFKA_SASL_PASSWORD/],
      [{ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'hunter2-secret' }, /KAFKA_SASL_MECHANISM is not/],
      [{ KAFKA_SASL_MECHANISM: 'gssapi' }, /KAFKA_SASL_MECHANISM: .*plain, scram-sha-256 or scram-sha-512/],
      [{ KAFKA_SSL: 'yes' }, /KAFKA_SSL: 'true' or 'false'/],
      [{ KAFKA_SSL_CERT_FILE: file('only-cert.pem', 'C') }, /KAFKA_SSL_KEY_FILE go together/],
      [{ KAFKA_SSL_CA_FILE: join(dir, 'missing.pem') }, /KAFKA_SSL_CA_FILE=.*cannot be read/],
      [{ KAFKA_SSL: 'false', KAFKA_SSL_CA_FILE: 'x' }, /KAFKA_SSL=false but/],
    ];
    for (const [env, message] of cases) {
      expect(() => kafkaSecurityFromEnv(env)).toThrow(message);
      try {
        kafkaSecurityFromEnv(env);
      } catch (err) {
        expect((err as Error).message).not.toContain('hunter2-secret');
        expect((err as Error).name).toBe('ConfigError');
      }
    }
  });
});
