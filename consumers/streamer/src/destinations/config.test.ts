import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config-file.ts';
import { describeTarget, loadDestinations } from './config.ts';

const dir = mkdtempSync(join(tmpdir(), 'destinations-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const errorOf = (path: string): string => {
  try {
    loadDestinations(path);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('destinations file', () => {
  it('reads YAML with defaults, secrets from the environment and filters as a value or a list', () => {
    process.env.TEST_HOOK_SECRET = 'from-the-environment-0123';
    const [hook, syslog] = loadDestinations(
      file(
        'ok.yaml',
        `destinations:
  - name: siem-hook
    type: webhook
    url: https://user:pw@siem.example.com/in?token=abc
    secrets: [{ env: TEST_HOOK_SECRET }, old-secret-0123456789]
    filters: { action: "auth.*", tenant_id: [acme, globex] }
  - name: siem-syslog
    type: syslog
    host: 127.0.0.1
    port: 6514
    format: cef
`,
      ),
    );
    expect(hook).toMatchObject({
      type: 'webhook',
      secrets: ['from-the-environment-0123', 'old-secret-0123456789'],
      filters: { action: ['auth.*'], tenant_id: ['acme', 'globex'] },
      format: 'json',
      start: 'latest',
      breaker: { failures: 5, cooldown_ms: 30_000 },
    });
    expect(syslog).toMatchObject({ type: 'syslog', transport: 'tls', facility: 13, format: 'cef' });
    // Logs name where it goes, never credentials or the query string.
    expect(describeTarget(hook as never)).toBe('https://siem.example.com/in');
  });

  it('names the field at fault', () => {
    expect(
      errorOf(
        file(
          'a.yaml',
          'destinations:\n  - { name: Bad_Name, type: webhook, url: https://x, secrets: [s-0123456789abcdef] }\n',
        ),
      ),
    ).toMatch(/AUDITFLOW_DESTINATIONS_FILE=.*destinations\.0\.name: lower-case/);
    expect(
      errorOf(
        file('b.yaml', 'destinations:\n  - { name: a, type: webhook, url: https://x, secrets: [short] }\n'),
      ),
    ).toMatch(/destinations\.0\.secrets\.0: a secret of at least 16 characters/);
    expect(
      errorOf(
        file(
          'c.yaml',
          'destinations:\n  - { name: a, type: webhook, url: https://x, secrets: [{ env: NOT_SET_ANYWHERE_X }] }\n',
        ),
      ),
    ).toMatch(/destinations\.0\.secrets\.0: environment variable NOT_SET_ANYWHERE_X is not set/);
    expect(
      errorOf(
        file(
          'd.yaml',
          'destinations:\n  - { name: a, type: syslog, host: h, port: 1, tls: { ca_file: /nope/ca.pem } }\n',
        ),
      ),
    ).toMatch(/destinations\.0\.tls\.ca_file: \/nope\/ca\.pem cannot be read/);
    expect(
      errorOf(
        file(
          'e.yaml',
          'destinations:\n  - { name: a, type: syslog, host: h, port: 1 }\n  - { name: a, type: syslog, host: h, port: 2 }\n',
        ),
      ),
    ).toMatch(/destinations\.1\.name: a is used twice/);
  });

  it('never puts a secret into an error message', () => {
    const message = errorOf(
      file(
        'f.yaml',
        'destinations:\n  - { name: a, type: webhook, url: "not a url", secrets: [very-secret-value-0123456] }\n',
      ),
    );
    expect(message).toMatch(/destinations\.0\.url/);
    expect(message).not.toContain('very-secret-value');
  });
});
