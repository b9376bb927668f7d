import { describe, expect, it } from 'vitest';
import { loadKeyNames } from './keys.ts';
import { PairScanner } from './pairs.ts';
import type { Hits } from './redact.ts';

const scanner = new PairScanner(loadKeyNames());
const mark = (rule: string, secret: string): string => `[R:${rule}:${secret.length}]`;
const redact = (text: string): string => scanner.redact(text, mark, new Map());
const R = (secret: string): string => `[R:key-value-secret:${secret.length}]`;

describe('pairs in free text', () => {
  it.each([
    ['password=hunter2', `password=${R('hunter2')}`],
    ['db_password=Sup3rS3cret!', `db_password=${R('Sup3rS3cret!')}`],
    ['DB_PASSWORD: Sup3rS3cret!', `DB_PASSWORD: ${R('Sup3rS3cret!')}`],
    ['{"newPassword": "s3cr3t value"}', `{"newPassword": "${R('s3cr3t value')}"}`],
    ["{'api_token': 'abc123'}", `{'api_token': '${R('abc123')}'}`],
    ['mysql --password hunter22 -h db', `mysql --password ${R('hunter22')} -h db`],
    ['deploy --api-key=k-12345 --verbose', `deploy --api-key=${R('k-12345')} --verbose`],
    ['GITHUB_TOKEN=abcdef123 npm publish', `GITHUB_TOKEN=${R('abcdef123')} npm publish`],
    ['export AWS_SECRET_ACCESS_KEY=abc/def+ghi', `export AWS_SECRET_ACCESS_KEY=${R('abc/def+ghi')}`],
    [
      'https://x.example/cb?code=1&access_token=q7Xv2Lp9&state=z',
      `https://x.example/cb?code=1&access_token=${R('q7Xv2Lp9')}&state=z`,
    ],
    [
      'Server=db;User Id=app;Password=p4ss;Encrypt=true',
      `Server=db;User Id=app;Password=${R('p4ss')};Encrypt=true`,
    ],
    ['<password>hunter2</password>', `<password>${R('hunter2')}</password>`],
    ['token := "abc-123"', `token := "${R('abc-123')}"`],
    ['secret => abc123', `secret => ${R('abc123')}`],
    ['my api key: k-99887766', `my api key: ${R('k-99887766')}`],
    ['Authorization: Bearer abc.def', `Authorization: Bearer ${R('abc.def')}`],
    ['curl -H "Authorization: Basic dXNlcjpw" x', `curl -H "Authorization: Basic ${R('dXNlcjpw')}" x`],
    ['Cookie: sid=abc; _gh_sess=xyz', `Cookie: ${R('sid=abc; _gh_sess=xyz')}`],
  ])('%s', (input, expected) => expect(redact(input)).toBe(expected));

  it.each([
    ['mysqldump -uroot -pPdQiPT5femkA0EZB --all', 'PdQiPT5femkA0EZB'],
    ["mysql -u root -p'Vh+6UPb#IUBY*2' -h db", 'Vh+6UPb#IUBY*2'],
    ['docker login -u ci -p Q3haNuKlAterLwOJ registry.example.com', 'Q3haNuKlAterLwOJ'],
    ['redis-cli -h cache -a ys34RYA3YOQZwlb6 ping', 'ys34RYA3YOQZwlb6'],
    ['keytool -importkeystore -storepass cnVHzawSFibxdwQU -keypass i7dSVeVv', 'cnVHzawSFibxdwQU'],
    ['smbclient //fs/share -U ada%wOtfsaoREBoXzU', 'wOtfsaoREBoXzU'],
    ['curl -sS -u admin:If1a7x3CfjFg%1 https://jenkins.internal/', 'If1a7x3CfjFg%1'],
    ['xfreerdp /v:10.0.0.20 /u:Administrator /p:kJkgyujXeZbZ6e /cert:ignore', 'kJkgyujXeZbZ6e'],
    ['machine api.heroku.com login ada@example.com password Q8uFVVpYTgnuJWuCTuWZ', 'Q8uFVVpYTgnuJWuCTuWZ'],
    ['datadog api key 56003ce5d10c2a944deb5d76d5f37755 for site eu', '56003ce5d10c2a944deb5d76d5f37755'],
    ["CREATE USER app WITH PASSWORD '49_p%7+%Y!7I8X#3';", '49_p%7+%Y!7I8X#3'],
    ["ALTER USER 'app'@'%' IDENTIFIED BY '!h7V966coE7jLY%7';", '!h7V966coE7jLY%7'],
    ["define('DB_PASSWORD', 'Q6Fyr#8feVPcJu0p%7');", 'Q6Fyr#8feVPcJu0p%7'],
    ['log: {\\"password\\":\\"Lbjm7UF3s%PFsl#8\\"}', 'Lbjm7UF3s%PFsl#8'],
    ['env:\n  - name: DB_PASSWORD\n    value: 8eMcFeErh3txkCX5ZZmCjg\n', '8eMcFeErh3txkCX5ZZmCjg'],
  ])('finds the secret in %s', (input, secret) => {
    const out = redact(input);
    expect(out).not.toContain(secret);
    expect(out).toContain(R(secret));
  });

  it('takes YAML, INI and ENV values to the end of the line', () => {
    const yaml = 'db:\n  user: app\n  password: correct horse battery\n  host: db.internal\n';
    expect(redact(yaml)).toBe(
      `db:\n  user: app\n  password: ${R('correct horse battery')}\n  host: db.internal\n`,
    );
    expect(redact('[db]\npassword = two words\nport = 5432')).toBe(
      `[db]\npassword = ${R('two words')}\nport = 5432`,
    );
    expect(redact('A=1\nSTRIPE_SECRET_KEY="sk_x y"\nB=2')).toBe(
      `A=1\nSTRIPE_SECRET_KEY="${R('sk_x y')}"\nB=2`,
    );
  });

  it('leaves describing keys, placeholders, states and prose alone', () => {
    for (const text of [
      'token_count=1234 max_tokens: 4096',
      'password_policy: strict',
      'password reset requested for ada',
      'the token bucket refilled',
      'Error: invalid token: expired',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell reference, literal on purpose
      'password: ${DB_PASSWORD}',
      'password: "{{ .Values.password }}"',
      'password=******** token=<redacted>',
      'password: null',
      'PWD=/srv/app OLDPWD=/home/ada',
      'if (a == b && token != null) {}',
      'std::string password_hint;',
      'https://gitlab.example.com/acme/infra/-/merge_requests/1287',
      'session_id=0192f7a4-6b1e-7c3d-9a4b-8c2d1e0f3a5b',
      'Rotated the API token for deploy-bot; 3 tokens remain.',
      'WWW-Authenticate: Bearer realm="api", error="invalid_token"',
      'password: required, min 12 characters',
      "Personal access token 'ci-bot' created with scopes api, read_repository",
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf',
      'declare -x PWD="/srv/app"',
    ])
      expect(redact(text), text).toBe(text);
  });

  it('does not redact a value an earlier rule already replaced', () => {
    expect(redact('token=[REDACTED:github-token:abcdef012345]')).toBe(
      'token=[REDACTED:github-token:abcdef012345]',
    );
  });

  it('counts what it replaced', () => {
    const hits: Hits = new Map();
    scanner.redact('password=a1b2c3 token=xyz987', mark, hits);
    expect(hits.get('key-value-secret')).toBe(2);
  });

  // Linear time (issue 13): each shape that makes a naive pair regex backtrack, at 1 MB. A
  // quadratic scanner takes seconds to minutes here; the linear one a few tens of ms.
  const MB = 1_000_000;
  const hostile: Record<string, string> = {
    'a-a-a-': 'a-'.repeat(MB / 2),
    'a=a=a=': 'a='.repeat(MB / 2),
    'password=password=': 'password='.repeat(MB / 9),
    'password:"password:"': 'password:"'.repeat(MB / 10),
    '--password --password': '--password '.repeat(MB / 11),
    'password=a&password=a&': 'password=a&'.repeat(MB / 11),
    'api key api key': 'api key '.repeat(MB / 8),
    '<password><password>': '<password>'.repeat(MB / 10),
    '[REDACTED:[REDACTED:': '[REDACTED:'.repeat(MB / 10),
    'long key, one =': `${'a'.repeat(MB)}=x`,
    'unclosed quote of backslashes': `password:"${'\\'.repeat(MB)}`,
    'many short lines': 'x\n'.repeat(MB / 2),
    'many lines with a blank': 'a b\n'.repeat(MB / 4),
    'SET PASSWORD FOR =': `SET PASSWORD FOR ${'='.repeat(MB)}`,
    'htpasswd -b lines': 'htpasswd -b f u p\n'.repeat(MB / 18),
    '&key& lookaheads': '&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'.repeat(MB / 57),
  };
  it.each(Object.entries(hostile))('stays linear on %s (1 MB)', (_name, text) => {
    const started = performance.now();
    scanner.redact(text, mark, new Map());
    // Linear here is tens of ms on an idle core; quadratic was 85 s. 3 s leaves room for a loaded CI box.
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
