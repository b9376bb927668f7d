import {
  detailsEvent,
  envelope,
  Fake,
  type KeepCase,
  type KeepCategory,
  luhnValid,
  nth,
  textEvent,
} from './build.ts';

/**
 * The keep-list: ordinary audit values that look a little like secrets (long hex, base64,
 * long digit runs, words such as "token" and "password") and must survive sanitizing byte for
 * byte. Each value is embedded the way real services send it, rotating over prose, fields,
 * target.attributes, changes and JSON-in-a-string.
 */

const f = new Fake('keep-list');
const ULID = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A digit string of `n` digits that fails the Luhn check (order ids, not cards). */
function nonLuhn(n: number, first = '4'): string {
  const s = first + f.digits(n - 1);
  if (!luhnValid(s)) return s;
  const last = Number(s.at(-1));
  return s.slice(0, -1) + String((last + 1) % 10);
}

function uuid7(): string {
  const ms = (1764583200000 + Number(f.digits(7))).toString(16).padStart(12, '0');
  const h = f.hex(20);
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${h.slice(0, 3)}-b${h.slice(3, 6)}-${h.slice(6, 18)}`;
}

const sha = () => f.hex(40);
const trace = () => `${f.hex(31)}a`;
const span = () => `${f.hex(15)}b`;

const VALUES: readonly (readonly [KeepCategory, readonly string[]])[] = [
  [
    'commit-sha',
    [
      sha(),
      sha(),
      sha(),
      sha(),
      sha(),
      sha(),
      f.hex(7),
      f.hex(8),
      f.hex(9),
      f.hex(10),
      f.hex(12),
      'a1b2c3d',
      '3f786850e387550fdab836ed7e6dc881de23001b',
    ],
  ],
  [
    'digest',
    [
      `sha256:${f.hex(64)}`,
      `sha256:${f.hex(64)}`,
      `sha512:${f.hex(128)}`,
      `registry.example.com/team/api:1.4.2@sha256:${f.hex(64)}`,
      `ghcr.io/acme/worker@sha256:${f.hex(64)}`,
      `123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:2026.12.01-${f.hex(7)}`,
      `docker.io/library/postgres:16.4-alpine3.20`,
      `md5:${f.hex(32)}`,
      `etag "${f.hex(32)}"`,
      `sha1-${f.hex(40)}`,
    ],
  ],
  [
    'trace',
    [
      trace(),
      trace(),
      trace(),
      span(),
      span(),
      span(),
      `00-${trace()}-${span()}-01`,
      `00-${trace()}-${span()}-00`,
      `Root=1-${f.hex(8)}-${f.hex(24)};Parent=${f.hex(16)};Sampled=1`,
      `b3=${trace()}-${span()}-1`,
    ],
  ],
  [
    'uuid',
    [
      f.uuid(),
      f.uuid(),
      f.uuid(),
      uuid7(),
      uuid7(),
      uuid7(),
      '00000000-0000-0000-0000-000000000000',
      f.uuid().toUpperCase(),
    ],
  ],
  [
    'ulid',
    [
      `01J${f.pick(ULID, 23)}`,
      `01J${f.pick(ULID, 23)}`,
      `01H${f.pick(ULID, 23)}`,
      `evt_01J${f.pick(ULID, 23)}`,
    ],
  ],
  [
    'semver',
    [
      '1.4.2',
      '2.0.0-rc.1',
      '1.0.0-alpha.beta+exp.sha.5114f85',
      '10.22.3+build.20261201',
      'v3.12.0-beta.2',
      '0.0.1-SNAPSHOT',
      '2026.12.1',
      '4.19.2-0ubuntu1~22.04.1',
      'node@20.11.1',
      'jsonwebtoken@9.0.2',
    ],
  ],
  [
    'kubernetes',
    [
      'api-7d9f8b6c4-x2x9z',
      'orders-worker-5c9f7d8b6-q2w7e',
      'redis-master-0',
      'ingress-nginx-controller-7b9c8d6f5-4kqpz',
      'ip-10-0-3-17.eu-west-1.compute.internal',
      'gke-prod-pool-1-3f9a1c2e-x7kq',
      'aks-nodepool1-12345678-vmss000002',
      'cronjob-token-cleanup-28874160-b9x2k',
      'secret-rotator-6f7d9c8b5-mk2lp',
      'kube-system/coredns-5d78c9869d-7xk2p',
      'deployment.apps/billing-api',
    ],
  ],
  [
    'arn',
    [
      'arn:aws:iam::123456789012:role/deploy',
      'arn:aws:s3:::acme-backups/db/2026-12-01.sql.gz',
      'arn:aws:lambda:eu-west-1:123456789012:function:resize-images',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf',
      'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'arn:aws:sts::123456789012:assumed-role/ci-deployer/gitlab-4410231',
      '/subscriptions/3f9a1c2e-1b2c-4d5e-8f90-123456789abc/resourceGroups/prod/providers/Microsoft.KeyVault/vaults/acme-kv',
      'projects/acme-prod/secrets/db-password/versions/3',
    ],
  ],
  [
    'number',
    [
      'ORD-2026-000481',
      'INV-20261201-0042',
      nonLuhn(13),
      nonLuhn(14, '3'),
      nonLuhn(15, '3'),
      nonLuhn(16),
      nonLuhn(16, '5'),
      nonLuhn(18, '6'),
      nonLuhn(19, '1'),
      '+49 30 901820',
      '+1 (415) 555-0132',
      '+44 20 7946 0958',
      '1764583200123',
      '1764583200123456',
      '1764583200123456789',
      '2026-12-01T10:02:11.123456Z',
      'cus_Q2w3E4r5T6y7U8',
      'pi_3Q2w3E4r5T6y7U8i9O0pAs',
      '4000 0000 0000 0001',
      'DE89 3704 0044 0532 0130 00',
      '**** **** **** 4242',
      '411111******1111',
      'card ending in 4242 (Visa, exp 12/27)',
      'amount=1,234,567.89 EUR',
      '1234 5678 9012 3456',
    ],
  ],
  [
    'network',
    [
      '10.0.3.17',
      '192.168.1.254',
      '203.0.113.42:8443',
      '2001:db8::1',
      'fe80::1ff:fe23:4567:890a',
      '10.96.0.0/12',
      '02:42:ac:11:00:02',
      'api.internal.example.com:5432',
    ],
  ],
  [
    'path',
    [
      '/srv/app/releases/20261201103000/config/database.yml',
      'src/auth/token-refresh.ts',
      'C:\\Users\\ada\\AppData\\Local\\Temp\\build.log',
      '/var/run/secrets/kubernetes.io/serviceaccount/token',
      '~/.ssh/id_ed25519.pub',
      'config/credentials.yml.enc',
      'packages/auth/src/password-policy.test.ts',
      '/etc/ssl/certs/ca-certificates.crt',
    ],
  ],
  [
    'ref',
    [
      'feature/PROJ-4521-retry-policy',
      'fix/token-refresh-race',
      'release/2026.12',
      'renovate/npm-jsonwebtoken-9.x',
      'dependabot/npm_and_yarn/passport-0.7.0',
      'PROJ-4521',
      '!1287',
      '#42',
      'acme/api#1942',
      'acme/infra!1287',
      'refs/tags/v1.4.2',
    ],
  ],
  [
    'url',
    [
      'https://gitlab.example.com/acme/infra/-/merge_requests/1287',
      'https://github.com/acme/api/pull/1942/files',
      'https://docs.example.com/auth/tokens#rotation',
      'https://example.com/reset-password?step=2&lang=en',
      'https://api.example.com/v2/orders?page=3&per_page=50',
      'http://localhost:8080/healthz',
      's3://acme-backups/db/2026-12-01.sql.gz',
      'https://auth.example.com/.well-known/openid-configuration',
      'https://example.com/oauth/authorize?response_type=code&client_id=web-app&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb',
      'git@github.com:acme/api.git',
    ],
  ],
  ['base64', ['aGVsbG8gd29ybGQ=', 'eyJwYWdlIjoyfQ==', 'Y3Vyc29yOjQy', 'dGVuYW50PWFjbWU=', 'AAAAAQ==']],
  [
    'public-key',
    [
      `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${f.b64(43)} ada@laptop`,
      `ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ${f.b64(340)} deploy@ci`,
      `age1${f.pick('qpzry9x8gf2tvdw0s3jn54khce6mua7l', 58)}`,
      `-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE${f.b64(52)}\n${f.b64(36)}==\n-----END PUBLIC KEY-----`,
      `-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE${f.b64(44)}\n${f.b64(64)}\n${f.b64(64)}\n${f.b64(30)}==\n-----END CERTIFICATE-----`,
      `SHA256:${f.b64(43)}`,
      `${f.hex(40).toUpperCase()}`,
      `pk_live_51${f.alnum(40)}`,
    ],
  ],
  [
    'checksum',
    [
      `${f.hex(64)}  dist/app-1.4.2.tar.gz`,
      `sha512-${f.base64Bytes(64)}`,
      `sha384-${f.base64Bytes(48)}`,
      `h1:${f.base64Bytes(32)}`,
      `"integrity": "sha512-${f.base64Bytes(64)}"`,
      `${f.hex(64)}`,
      `crc32c=${f.base64Bytes(4)}`,
    ],
  ],
  [
    'request-id',
    [
      `req_${f.alnum(14)}`,
      `x-amzn-RequestId: ${f.uuid()}`,
      '8c4f2a1b9e3d7f60-FRA',
      `X-Request-Id: ${f.hex(32)}`,
      'gid://gitlab/MergeRequest/1287',
      'MDQ6VXNlcjU4MzIzMQ==',
      `PR_kwDO${f.alnum(13)}`,
      'C04ABCDEF12',
      `SM${f.hex(32)}`,
      `AC${f.hex(32)}`,
      'sub_1Q2w3E4r5T6y7U8i9O0pAsDf',
      'evt_1Q2w3E4r5T6y7U8i9O0pAsDf',
      'acct_1Q2w3E4r5T6y7U8i',
      'G-ABC123XYZ9',
      'UA-12345678-1',
      'slack ts 1764583200.123456',
      'audit.raw.v1-3@148223',
      `idempotency_key=${f.uuid()}`,
      'cache_key=user:42:profile',
      `container ${f.hex(64)}`,
      'next_cursor=eyJpZCI6MTIzNDV9',
      '123456789012',
      `sentry event ${f.hex(32)}`,
    ],
  ],
  [
    'prose',
    [
      'status=200 duration_ms=41 bytes=5123 user=ada',
      'author=ada reviewer=grace',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a config placeholder, literally
      'password: ${DB_PASSWORD}',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a config placeholder, literally
      'token: ${{ secrets.NPM_TOKEN }}',
      'api_key: {{ .Values.apiKey }}',
      'DB_PASSWORD=$DB_PASSWORD',
      'password=%DB_PASSWORD%',
      'PWD=/home/ada/src/api',
      'OLDPWD=/srv/app',
      'WWW-Authenticate: Basic realm="Registry"',
      'HTTP 401 Unauthorized: missing Authorization header',
      'token: invalid or expired',
      'password: too short (minimum is 12 characters)',
      'Error from server (NotFound): secrets "api-keys" not found',
      'secret/orders-db created',
      "Login failed for user 'sa'. Reason: Password did not match that for the login provided.",
      'FATAL:  password authentication failed for user "orders"',
      "Access denied for user 'root'@'10.0.3.17' (using password: YES)",
      'remote: HTTP Basic: Access denied',
      'Permission denied (publickey,password).',
      'ssh: unable to authenticate, attempted methods [none publickey]',
      'git-credential-manager: token refreshed for github.com',
      'vault: secret engine kv-v2 enabled at secret/',
      'authority=login.microsoftonline.com',
      'passenger_count=3',
      'bypass_cache=true passthrough=true',
      'keyboard=de-DE',
      'secretary=Grace Hopper',
      'oauth2-proxy v7.6.0 started on :4180',
      'tokenize(input) returned 42 items',
      'X-RateLimit-Remaining: 4999',
      'Token bucket refilled: 120 tokens',
      'compass heading 270',
      'passport-jwt@4.0.1 loaded',
      'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
      'WWW-Authenticate: Bearer realm="api", error="invalid_token"',
      'Authentication failed: invalid credentials',
      'Rate limited: 429 Too Many Requests, retry-after=30',
      'tokenizer: cl100k_base, 1532 tokens, 87 tokens/s',
      'AWS Secrets Manager rotation lambda finished',
      'primary_key=id sort_key=created_at partition_key=tenant_id',
      'Password must contain at least one digit',
      'password: required, min 12 characters',
      'Password reset requested for ada',
      'Token refresh succeeded',
      'The password policy requires 12 characters',
      'LLM usage: prompt_tokens=812 completion_tokens=64',
      'token_count: 4096',
      'max_tokens: 1024',
      'session_count=3',
      'input_tokens=1532 output_tokens=211 cache_read_input_tokens=1024',
      'User ada changed their password',
      'Invalid password for user ada (attempt 3 of 5)',
      'token expired at 2026-12-01T10:00:00Z',
      "Personal access token 'ci-bot' created with scopes api, read_repository",
      'Secret rotation scheduled for 2026-12-15',
      'Rotated the API key for billing; the old key was revoked',
      'password_min_length=12',
      'Passwordless login enabled for tenant acme',
      'token_type=Bearer expires_in=3600',
      'auth_method=saml auth_provider=okta',
      'The secret was not found in the vault',
      'Two-factor authentication token verified',
      'credentials expire in 14 days',
      'Generated 3 new recovery codes',
    ],
  ],
];

/** How a keep value is embedded, rotated over the values. */
const EMBED: readonly ((value: string, label: string, i: number) => KeepCase['event'])[] = [
  (v, l, i) => detailsEvent(l, i, { ref: v, step: 'deploy' }),
  (v, l, i) => textEvent(l, i, `deployed ${v} to production after review`, 'details'),
  (v, l, i) => textEvent(l, i, `lookup failed for ${v}: not found`, 'error.message'),
  (v, l, i) => textEvent(l, i, v, 'target.attributes'),
  (v, l, i) => ({
    ...envelope(l, i),
    action: 'release.updated',
    changes: [{ field: 'reference', before: null, after: v }],
  }),
  (v, l, i) => textEvent(l, i, `see ${v}`, 'json-string'),
  (v, l, i) => textEvent(l, i, `${v}\n`, 'details.nested'),
];

function valueCases(): KeepCase[] {
  const out: KeepCase[] = [];
  let i = 0;
  for (const [category, values] of VALUES) {
    for (const value of values) {
      const label = `keep ${category}: ${value}`;
      const embed = nth(EMBED, i);
      out.push({ name: label, category, keep: [value], event: embed(value, label, i) });
      i++;
    }
  }
  return out;
}

/** Structured fields whose key names describe a secret without holding one. */
function describingKeyCases(): KeepCase[] {
  const fields: readonly (readonly [string, unknown])[] = [
    ['token_count', 4096],
    ['max_tokens', 1024],
    ['session_count', 3],
    ['prompt_tokens', 812],
    ['completion_tokens', 64],
    ['total_tokens', 876],
    ['password_policy', 'min 12 characters, 1 symbol'],
    ['passwordLength', 16],
    ['password_expires_in_days', 14],
    ['password_last_changed', '2026-11-02T08:15:00Z'],
    ['tokenExpiresAt', '2026-12-01T10:00:00Z'],
    ['token_type', 'Bearer'],
    ['auth_method', 'saml'],
    ['auth_provider', 'okta'],
    ['secret_name', 'prod/orders-db'],
    ['secretName', 'orders-db-credentials'],
    ['api_key_id', 'key_01JDQ7Z8K4X9M2N5P6R7S8T9VW'],
    ['api_key_name', 'ci-deploy'],
    ['key_id', 'mrk-1234abcd12ab34cd56ef1234567890ab'],
    ['kid', '2026-11-rsa-1'],
    ['secret_version', 3],
    ['cookie_consent', 'accepted'],
    ['credential_type', 'service_account'],
    ['token_endpoint', 'https://auth.example.com/oauth/token'],
    ['password_reset_url', 'https://example.com/reset-password?step=1'],
  ];
  return fields.map(([key, value], i) => {
    const label = `keep describing key: ${key}`;
    const keep = [typeof value === 'string' ? value : `"${key}":${value}`];
    return {
      name: label,
      category: 'prose' as const,
      keep,
      event:
        i % 2 === 0
          ? detailsEvent(label, i, { usage: { [key]: value } })
          : detailsEvent(label, i, { [key]: value, model: 'claude-sonnet' }),
    };
  });
}

/** Everyday structures that mention secrets by reference only. */
function structureCases(): KeepCase[] {
  const sha1 = f.hex(40);
  const digest = `sha256:${f.hex(64)}`;
  const tr = trace();
  return [
    {
      name: 'keep mixed: Kubernetes secretKeyRef (a reference, not a value)',
      category: 'mixed',
      keep: ['orders-db-credentials', '"key":"password"', 'registry.example.com/team/api:1.4.2'],
      event: detailsEvent('keep k8s secretKeyRef', 0, {
        containers: [
          {
            image: 'registry.example.com/team/api:1.4.2',
            env: [
              {
                name: 'DB_PASSWORD',
                valueFrom: { secretKeyRef: { name: 'orders-db-credentials', key: 'password' } },
              },
            ],
          },
        ],
      }),
    },
    {
      name: 'keep mixed: LLM usage object',
      category: 'mixed',
      keep: ['"prompt_tokens":812', '"completion_tokens":64', '"total_tokens":876', 'claude-sonnet-4'],
      event: detailsEvent('keep llm usage', 1, {
        model: 'claude-sonnet-4',
        usage: { prompt_tokens: 812, completion_tokens: 64, total_tokens: 876 },
      }),
    },
    {
      name: 'keep mixed: deploy log line with many ids',
      category: 'mixed',
      keep: [sha1, digest, tr, 'api-7d9f8b6c4-x2x9z', '1.4.2', 'PROJ-4521'],
      event: textEvent(
        'keep deploy log',
        2,
        `2026-12-01T10:02:11Z deploy api 1.4.2 (${sha1}) image ${digest} pod api-7d9f8b6c4-x2x9z trace ${tr} for PROJ-4521`,
        'error.message',
      ),
    },
    {
      name: 'keep mixed: GitLab pipeline event',
      category: 'mixed',
      keep: [
        sha1,
        'feature/PROJ-4521-retry-policy',
        '1287',
        'https://gitlab.example.com/acme/infra/-/pipelines/884213',
      ],
      event: detailsEvent('keep gitlab pipeline', 3, {
        object_kind: 'pipeline',
        object_attributes: {
          id: 884213,
          ref: 'feature/PROJ-4521-retry-policy',
          sha: sha1,
          status: 'success',
          duration: 412,
        },
        merge_request: { iid: '1287' },
        url: 'https://gitlab.example.com/acme/infra/-/pipelines/884213',
      }),
    },
    {
      name: 'keep mixed: settings change of the password policy',
      category: 'mixed',
      keep: ['"min_length":12', '"require_symbols":true', '"min_length":14'],
      event: {
        ...envelope('keep password policy change', 4),
        action: 'settings.updated',
        changes: [
          {
            field: 'password_policy',
            before: { min_length: 12, require_symbols: true },
            after: { min_length: 14, require_symbols: true },
          },
        ],
      },
    },
    {
      name: 'keep mixed: auth audit event (no secret in it)',
      category: 'mixed',
      keep: [
        '["password","totp"]',
        'password+totp',
        'Login succeeded after MFA challenge',
        'Mozilla/5.0 (X11; Linux x86_64)',
      ],
      event: {
        ...envelope('keep auth audit', 5),
        action: 'auth.login.succeeded',
        authorization: { method: 'password+totp', scopes: ['orders:read'] },
        details: {
          methods: ['password', 'totp'],
          message: 'Login succeeded after MFA challenge',
          ua: 'Mozilla/5.0 (X11; Linux x86_64)',
        },
      },
    },
    {
      name: 'keep mixed: HTTP access log line',
      category: 'mixed',
      keep: ['203.0.113.42', 'GET /api/v2/orders?page=3&per_page=50 HTTP/1.1', '"curl/8.5.0"'],
      event: textEvent(
        'keep access log',
        6,
        '203.0.113.42 - - [01/Dec/2026:10:02:11 +0000] "GET /api/v2/orders?page=3&per_page=50 HTTP/1.1" 200 5123 "-" "curl/8.5.0"',
        'details',
      ),
    },
  ];
}

/** Ordinary high-entropy values in KEY=value and logfmt form, as CI jobs and services print them. */
function assignmentCases(): KeepCase[] {
  const g = new Fake('keep assignments');
  const lines: readonly string[] = [
    `CI_COMMIT_SHA=${g.hex(40)}`,
    `GIT_COMMIT=${g.hex(40)}`,
    `CI_COMMIT_SHORT_SHA=${g.hex(8)}`,
    `IMAGE_DIGEST=sha256:${g.hex(64)}`,
    `TRACE_ID=${g.hex(32)}`,
    `REQUEST_ID=${g.uuid()}`,
    `BUILD_ID=01J${g.pick(ULID, 23)}`,
    `checksum=${g.hex(64)}`,
    `etag=${g.hex(32)}`,
    `revision: ${g.hex(40)}`,
    `resourceVersion: "${g.number(9)}"`,
    `uid: ${g.uuid()}`,
    `traceparent=00-${g.hex(31)}c-${g.hex(15)}d-01`,
    `cursor=${Buffer.from(JSON.stringify({ id: 48213, ts: 1764583200 })).toString('base64url')}`,
    `integrity=sha512-${g.base64Bytes(64)}`,
    `node_id=${g.hex(32)}`,
    `COMMIT=${g.hex(40)}`,
    `DIGEST=sha256:${g.hex(64)}`,
    `SPAN_ID=${g.hex(16)}`,
    `X_REQUEST_ID=${g.hex(32)}`,
    `"sha": "${g.hex(40)}"`,
    `parent=${g.hex(40)} tree=${g.hex(40)}`,
  ];
  return lines.map((line, i) => {
    const label = `keep key=value: ${line.split(/[=:]/)[0]}`;
    const text =
      i % 2 === 0 ? `${line}\nLOG_LEVEL=info` : `level=info msg="build finished" ${line} duration=41s`;
    return { name: label, category: 'mixed' as const, keep: [line], event: textEvent(label, i, text) };
  });
}

export function keepCases(): KeepCase[] {
  return [...valueCases(), ...describingKeyCases(), ...structureCases(), ...assignmentCases()];
}
