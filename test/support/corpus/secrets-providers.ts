import {
  casesOf,
  Fake,
  grouped,
  nth,
  pemBody,
  type SecretCase,
  type Template,
  t,
  textEvent,
  token,
  withLuhn,
} from './build.ts';

/**
 * Provider tokens in their real formats (GitHub, GitLab, Slack, Stripe, AWS, GCP, Azure, OpenAI,
 * Anthropic, ...), payment cards of every major IIN range, private keys (PEM, PGP, PuTTY, age),
 * cookies, Basic/Bearer/Digest headers and webhook signatures, in prose that mostly does not
 * say "token" or "password": the value's shape alone must give it away.
 */

const BECH32 = 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L';
const AWS_ID = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const b64url = (text: string) => Buffer.from(text).toString('base64url');

function jwt(f: Fake, alg: 'HS256' | 'RS256'): string {
  const header = b64url(JSON.stringify({ alg, typ: 'JWT', kid: f.hex(8) }));
  const payload = b64url(
    JSON.stringify({
      sub: f.uuid(),
      iss: 'https://auth.example.com',
      exp: 1798761600,
      scope: 'orders:write',
    }),
  );
  return `${header}.${payload}.${f.b64url(alg === 'HS256' ? 43 : 342)}`;
}

const PROVIDERS: readonly Template[] = [
  token(
    'GitHub ghp_ classic PAT',
    (f) => `ghp_${f.alnum(36)}`,
    (v) => `pasted ${v} into the runner settings by mistake`,
  ),
  token(
    'GitHub gho_ OAuth',
    (f) => `gho_${f.alnum(36)}`,
    (v) => `oauth exchange returned ${v} for user ada`,
  ),
  token(
    'GitHub ghu_ user-to-server',
    (f) => `ghu_${f.alnum(36)}`,
    (v) => `app acted with ${v} on acme/api`,
  ),
  token(
    'GitHub ghs_ installation',
    (f) => `ghs_${f.alnum(36)}`,
    (v) => `installation 4410231 minted ${v} (expires in 1h)`,
  ),
  token(
    'GitHub ghr_ refresh',
    (f) => `ghr_${f.alnum(76)}`,
    (v) => `stored ${v} for later`,
  ),
  token(
    'GitHub fine-grained github_pat_',
    (f) => `github_pat_11${f.upper(20)}_${f.alnum(59)}`,
    (v) => `CI used ${v} to push tags`,
  ),
  token(
    'GitLab glpat-',
    (f) => `glpat-${f.b64url(20)}`,
    (v) => `The job log printed ${v} before masking kicked in`,
  ),
  token(
    'GitLab gldt- deploy',
    (f) => `gldt-${f.b64url(20)}`,
    (v) => `registry pull with ${v} succeeded`,
  ),
  token(
    'GitLab glrt- runner',
    (f) => `glrt-${f.b64url(20)}`,
    (v) => `gitlab-runner register --url https://gitlab.example.com ${v}`,
  ),
  token(
    'Slack xoxb- bot',
    (f) => `xoxb-${f.number(12)}-${f.number(13)}-${f.alnum(24)}`,
    (v) => `posting to #deploys as ${v}`,
  ),
  token(
    'Slack xoxp- user',
    (f) => `xoxp-${f.number(12)}-${f.number(12)}-${f.number(13)}-${f.hex(32)}`,
    (v) => `legacy integration still uses ${v}`,
  ),
  token(
    'Slack xapp- app-level',
    (f) => `xapp-1-A${f.upper(10)}-${f.number(13)}-${f.hex(64)}`,
    (v) => `socket mode connect ${v}`,
  ),
  token(
    'Slack webhook URL',
    (f) => `T${f.upper(8)}/B${f.upper(10)}/${f.alnum(24)}`,
    (v) => `notify https://hooks.slack.com/services/${v} failed: 404 no_service`,
  ),
  token(
    'Stripe sk_live_',
    (f) => `sk_live_51${f.alnum(97)}`,
    (v) => `charge created with ${v} in region eu`,
  ),
  token(
    'Stripe rk_live_ restricted',
    (f) => `rk_live_51${f.alnum(97)}`,
    (v) => `reporting job authenticated as ${v}`,
  ),
  token(
    'Stripe whsec_',
    (f) => `whsec_${f.alnum(32)}`,
    (v) => `endpoint we_1Q2w3E4r5T6y7U8i configured with ${v}`,
  ),
  [
    'AWS AKIA + secret in prose',
    (f) => {
      const id = `AKIA${f.pick(AWS_ID, 16)}`;
      const s = f.b64(40);
      return t(`IAM user ci-deployer: access key ${id}, secret ${s}, created 2026-11-03`, [id, s]);
    },
  ],
  [
    'AWS ASIA session credentials',
    (f) => {
      const id = `ASIA${f.pick(AWS_ID, 16)}`;
      const s = f.b64(40);
      const st = `IQoJb3JpZ2luX2VjE${f.b64(300)}`;
      return t(`assumed role: AccessKeyId ${id} SecretAccessKey ${s} SessionToken ${st}`, [id, s, st]);
    },
  ],
  [
    'AWS credentials file',
    (f) => {
      const id = `AKIA${f.pick(AWS_ID, 16)}`;
      const s = f.b64(40);
      return t(`[default]\naws_access_key_id = ${id}\naws_secret_access_key = ${s}\n`, [id, s]);
    },
  ],
  token(
    'GCP API key',
    (f) => `AIza${f.b64url(35)}`,
    (v) => `maps request https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key=${v}`,
  ),
  token(
    'GCP API key alone',
    (f) => `AIzaSy${f.b64url(33)}`,
    (v) => `firebase config apiKey ${v} projectId acme-prod`,
  ),
  token(
    'Google OAuth client secret',
    (f) => `GOCSPX-${f.b64url(28)}`,
    (v) => `oauth client 123456789012-abc.apps.googleusercontent.com uses ${v}`,
  ),
  token(
    'Google OAuth access token ya29',
    (f) => `ya29.a0${f.b64url(150)}`,
    (v) => `calling Drive with ${v}`,
  ),
  [
    'Azure storage connection string',
    (f) => {
      const k = f.base64Bytes(64);
      return t(
        `DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey=${k};EndpointSuffix=core.windows.net`,
        [k],
      );
    },
  ],
  [
    'Azure SAS URL sig=',
    (f) => {
      const sig = `${f.b64(43).replace(/[+/]/g, 'Q')}%3D`;
      return t(
        `upload to https://acmeprod.blob.core.windows.net/backups/db.bak?sv=2022-11-02&ss=b&srt=o&sp=rw&se=2026-12-31T00:00:00Z&spr=https&sig=${sig} failed`,
        [sig],
      );
    },
  ],
  token(
    'Azure AD client secret',
    (f) => `${f.alnum(3)}8Q~${f.alnum(34)}`,
    (v) => `app registration orders-api secret value ${v} (expires 2027-06-01)`,
  ),
  token(
    'OpenAI sk-proj-',
    (f) => `sk-proj-${f.b64url(74)}T3BlbkFJ${f.b64url(74)}`,
    (v) => `LLM call with ${v} returned 429`,
  ),
  token(
    'OpenAI legacy sk-',
    (f) => `sk-${f.alnum(20)}T3BlbkFJ${f.alnum(20)}`,
    (v) => `old notebook still has ${v}`,
  ),
  token(
    'Anthropic sk-ant-api03-',
    (f) => `sk-ant-api03-${f.b64url(93)}AA`,
    (v) => `agent configured with ${v} for claude`,
  ),
  token(
    'HuggingFace hf_',
    (f) => `hf_${f.pick('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 34)}`,
    (v) => `huggingface-cli login ${v}`,
  ),
  token(
    'npm npm_',
    (f) => `npm_${f.alnum(36)}`,
    (v) => `publish @acme/sdk@2.1.0 using ${v}`,
  ),
  token(
    'PyPI pypi-AgEI',
    (f) => `pypi-AgEIcHlwaS5vcmc${f.b64url(140)}`,
    (v) => `twine upload -u __token__ ${v} dist/*`,
  ),
  token(
    'Twilio SK API key',
    (f) => `SK${f.hex(32)}`,
    (v) => `twilio client created with ${v}`,
  ),
  [
    'Twilio account SID with auth token',
    (f) => {
      const tok = f.hex(32);
      return t(`https://AC${f.hex(32)}:${tok}@api.twilio.com/2010-04-01/Accounts.json`, [tok]);
    },
  ],
  token(
    'SendGrid SG.',
    (f) => `SG.${f.b64url(22)}.${f.b64url(43)}`,
    (v) => `mail relay key ${v} rejected`,
  ),
  token(
    'Mailgun key-',
    (f) => `key-${f.hex(32)}`,
    (v) => `mailgun domain mg.acme.io auth ${v}`,
  ),
  token(
    'Datadog API key',
    (f) => f.hex(32),
    (v) => `datadog api key ${v} for site datadoghq.eu`,
  ),
  token(
    'Datadog application key',
    (f) => f.hex(40),
    (v) => `datadog app key: ${v}`,
  ),
  token(
    'Shopify shpat_',
    (f) => `shpat_${f.hex(32)}`,
    (v) => `storefront sync as ${v}`,
  ),
  token(
    'Doppler dp.pt.',
    (f) => `dp.pt.${f.alnum(43)}`,
    (v) => `doppler run with ${v}`,
  ),
  token(
    'Vault hvs. service token',
    (f) => `hvs.${f.b64url(95)}`,
    (v) => `vault kv get secret/orders with ${v}`,
  ),
  token(
    'Vault legacy s. token',
    (f) => `s.${f.alnum(24)}`,
    (v) => `VAULT_ADDR=https://vault.internal:8200 vault login ${v}`,
  ),
  token(
    'JWT HS256 in prose',
    (f) => jwt(f, 'HS256'),
    (v) => `session restored from ${v}`,
  ),
  token(
    'JWT RS256 in a header line',
    (f) => jwt(f, 'RS256'),
    (v) => `x-amzn-oidc-data: ${v}`,
  ),
  token(
    'Discord bot token',
    (f) =>
      `${b64url(String(1000000000000000000n + BigInt(f.digits(17)))).replace(/=+$/, '')}.${f.b64url(6)}.${f.b64url(38)}`,
    (v) => `discord bot started with ${v}`,
  ),
  token(
    'Telegram bot token',
    (f) => `${f.number(10)}:AA${f.b64url(33)}`,
    (v) => `sendMessage https://api.telegram.org/bot${v}/sendMessage chat=-1001234`,
  ),
  token(
    'Heroku API key (UUID form)',
    (f) => f.uuid(),
    (v) => `heroku api key = ${v}`,
  ),
  token(
    'Heroku HRKU-AA',
    (f) => `HRKU-AA${f.b64url(58)}`,
    (v) => `heroku authorizations:create returned ${v}`,
  ),
  token(
    'DigitalOcean dop_v1_',
    (f) => `dop_v1_${f.hex(64)}`,
    (v) => `doctl auth init -t ${v}`,
  ),
  token(
    'Atlassian ATATT3',
    (f) => `ATATT3${f.b64url(186)}`,
    (v) => `jira automation uses ${v}`,
  ),
  token(
    'Linear lin_api_',
    (f) => `lin_api_${f.alnum(40)}`,
    (v) => `linear sync as ${v}`,
  ),
  token(
    'Postman PMAK-',
    (f) => `PMAK-${f.hex(24)}-${f.hex(34)}`,
    (v) => `newman run collection.json --postman-api-key ${v}`,
  ),
  token(
    'Sentry DSN',
    (f) => f.hex(32),
    (v) => `Sentry.init({ dsn: "https://${v}@o450123.ingest.sentry.io/5501234" })`,
  ),
  token(
    'Sentry user token sntryu_',
    (f) => `sntryu_${f.hex(64)}`,
    (v) => `sentry-cli releases new 1.4.2 --auth ${v}`,
  ),
  token(
    'Grafana glsa_',
    (f) => `glsa_${f.alnum(32)}_${f.hex(8)}`,
    (v) => `grafana dashboard import as ${v}`,
  ),
  token(
    'Terraform Cloud atlasv1',
    (f) => `${f.lower(14)}.atlasv1.${f.b64url(67)}`,
    (v) => `credentials "app.terraform.io" { value = ${v} }`,
  ),
  [
    'GCP service-account JSON as a string',
    (f) => {
      const id = f.hex(40);
      const body = pemBody(f, 8, 'MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQ');
      const json = JSON.stringify({
        type: 'service_account',
        project_id: 'acme-prod',
        private_key_id: id,
        private_key: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`,
        client_email: 'deployer@acme-prod.iam.gserviceaccount.com',
        client_id: '104729871234567890123',
      });
      return t(json, [id, body], ['deployer@acme-prod.iam.gserviceaccount.com']);
    },
  ],
  [
    'GCP service-account JSON pretty-printed in a log',
    (f) => {
      const id = f.hex(40);
      const body = pemBody(f, 6, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
      const json = JSON.stringify(
        {
          type: 'service_account',
          private_key_id: id,
          private_key: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`,
        },
        null,
        2,
      );
      // Inside a log line the key's newlines are JSON escapes: each base64 line is a secret.
      return t(`loaded credentials file:\n${json}`, [id, ...body.split('\n')]);
    },
  ],
];

// ---------------------------------------------------------------------------------------------
// Payment cards: [network, IIN prefix, length, grouping].

const CARD_NETWORKS: readonly (readonly [string, string, number, readonly number[]])[] = [
  ['Visa 16', '4', 16, [4, 4, 4, 4]],
  ['Visa 13', '4', 13, [4, 4, 5]],
  ['Visa 19', '4', 19, [4, 4, 4, 4, 3]],
  ['Mastercard 51', '51', 16, [4, 4, 4, 4]],
  ['Mastercard 55', '55', 16, [4, 4, 4, 4]],
  ['Mastercard 2221', '2221', 16, [4, 4, 4, 4]],
  ['Mastercard 2720', '2720', 16, [4, 4, 4, 4]],
  ['Mastercard 2500', '2500', 16, [4, 4, 4, 4]],
  ['Amex 34', '34', 15, [4, 6, 5]],
  ['Amex 37', '37', 15, [4, 6, 5]],
  ['Discover 6011', '6011', 16, [4, 4, 4, 4]],
  ['Discover 65', '65', 16, [4, 4, 4, 4]],
  ['Discover 644', '644', 16, [4, 4, 4, 4]],
  ['JCB 3528', '3528', 16, [4, 4, 4, 4]],
  ['JCB 3589', '3589', 16, [4, 4, 4, 4]],
  ['Diners 36', '36', 14, [4, 6, 4]],
  ['Diners 300', '300', 14, [4, 6, 4]],
  ['UnionPay 62 16', '62', 16, [4, 4, 4, 4]],
  ['UnionPay 62 19', '62', 19, [4, 4, 4, 4, 3]],
  ['Maestro 6759', '6759', 16, [4, 4, 4, 4]],
  ['Maestro 5018', '5018', 19, [4, 4, 4, 4, 3]],
];

const CARD_FRAMES: readonly (readonly [string, (card: string) => string])[] = [
  ['with spaces and expiry', (c) => `customer read out card ${c} 12/25 cvc on back`],
  [
    'with dashes in a sentence with other numbers',
    (c) => `order 88231 on 2026-11-30: paid 149.90 EUR with ${c}, ticket 40417`,
  ],
  ['no separators after a label', (c) => `pan=${c.replace(/[ -]/g, '')} exp=0927`],
  [
    'in a chat transcript',
    (c) => `agent: can you confirm the number? customer: sure it's ${c} expiring 03/28, thanks`,
  ],
];

function cardCases(): SecretCase[] {
  // Every network in two of the frames.
  const pairs = CARD_NETWORKS.flatMap((network, i) => [[network, i] as const, [network, i + 2] as const]);
  return pairs.map(([[network, prefix, length, groups], i]) => {
    const [frameName, frame] = nth(CARD_FRAMES, i);
    const label = `card: ${network} ${frameName}`;
    const f = new Fake(label);
    const digits = withLuhn(prefix + f.digits(length - prefix.length - 1));
    const printed = grouped(digits, groups, i % 4 === 1 ? '-' : ' ');
    const text = frame(printed);
    const secret = i % 4 === 2 ? digits : printed;
    return { name: label, category: 'card' as const, secrets: [secret], event: textEvent(label, i, text) };
  });
}

function extraCardCases(): SecretCase[] {
  const f = new Fake('cards extra');
  const visa = withLuhn(`4${f.digits(14)}`);
  const mc = withLuhn(`5${f.pick('12345', 1)}${f.digits(13)}`);
  const amex = withLuhn(`37${f.digits(12)}`);
  const mk = (name: string, secrets: string[], text: string, i: number): SecretCase => ({
    name: `card: ${name}`,
    category: 'card',
    secrets,
    event: textEvent(`card: ${name}`, i, text),
  });
  return [
    mk(
      'Visa test number with expiry (issue 13)',
      ['4111 1111 1111 1111'],
      'card 4111 1111 1111 1111 12/25',
      0,
    ),
    mk(
      'Mastercard test number in JSON text',
      ['5555555555554444'],
      '{"card": "5555555555554444", "amount": 1999}',
      1,
    ),
    mk(
      'two cards in one line',
      [grouped(visa, [4, 4, 4, 4], ' '), grouped(mc, [4, 4, 4, 4], '-')],
      `old ${grouped(visa, [4, 4, 4, 4], ' ')} replaced by ${grouped(mc, [4, 4, 4, 4], '-')}`,
      2,
    ),
    mk(
      'Amex 4-6-5 with CID',
      [grouped(amex, [4, 6, 5], ' ')],
      `Amex ${grouped(amex, [4, 6, 5], ' ')} CID 4821`,
      3,
    ),
    {
      name: 'card: number as a JSON number under an ordinary key',
      category: 'card',
      secrets: [visa],
      event: {
        ...textEvent('card: JSON number', 4, 'x', 'details'),
        details: { payment: { method: 'card', number: Number(visa), amount: 42 } },
      },
    },
    {
      name: 'card: card_number string under its key',
      category: 'card',
      secrets: [mc],
      event: { ...textEvent('card: key', 5, 'x', 'details'), details: { card_number: mc, expiry: '09/27' } },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Private keys.

const KEYS: readonly Template[] = [
  [
    'PEM RSA PRIVATE KEY full',
    (f) => {
      const b = pemBody(f, 10, 'MIIEowIBAAKCAQEA');
      return t(`-----BEGIN RSA PRIVATE KEY-----\n${b}\n-----END RSA PRIVATE KEY-----`, [b]);
    },
  ],
  [
    'PEM EC PRIVATE KEY',
    (f) => {
      const b = `MHcCAQEEI${f.b64(55)}\n${f.b64(64)}\n${f.b64(50)}==`;
      return t(`key material:\n-----BEGIN EC PRIVATE KEY-----\n${b}\n-----END EC PRIVATE KEY-----\nend`, [b]);
    },
  ],
  [
    'PEM OPENSSH PRIVATE KEY',
    (f) => {
      const b = `b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n${f.b64(70)}\n${f.b64(70)}\n${f.b64(70)}\n${f.b64(20)}`;
      return t(`-----BEGIN OPENSSH PRIVATE KEY-----\n${b}\n-----END OPENSSH PRIVATE KEY-----\n`, [b]);
    },
  ],
  [
    'PEM PKCS#8 PRIVATE KEY',
    (f) => {
      const b = pemBody(f, 8, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
      return t(`-----BEGIN PRIVATE KEY-----\n${b}\n-----END PRIVATE KEY-----`, [b]);
    },
  ],
  [
    'PEM ENCRYPTED PRIVATE KEY',
    (f) => {
      const b = pemBody(f, 8, 'MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI');
      return t(`-----BEGIN ENCRYPTED PRIVATE KEY-----\n${b}\n-----END ENCRYPTED PRIVATE KEY-----`, [b]);
    },
  ],
  [
    'PEM RSA legacy encrypted with headers',
    (f) => {
      const b = pemBody(f, 6, 'MIIEpAIBAAKCAQEA');
      return t(
        `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,${f.hex(32).toUpperCase()}\n\n${b}\n-----END RSA PRIVATE KEY-----`,
        [b],
      );
    },
  ],
  [
    'PEM truncated by a log limit (no END line)',
    (f) => {
      const b = pemBody(f, 5, 'MIIEowIBAAKCAQEA').split('\n').slice(0, 4).join('\n');
      return t(`ssh: no key found in\n-----BEGIN RSA PRIVATE KEY-----\n${b}`, [b]);
    },
  ],
  [
    'PEM on one line with literal \\n',
    (f) => {
      const a = f.b64(64);
      const c = f.b64(64);
      return t(
        `PRIVATE_KEY="-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC${a}\\n${c}\\n-----END PRIVATE KEY-----\\n"`,
        [a, c],
      );
    },
  ],
  [
    'PEM with spaces instead of newlines',
    (f) => {
      const a = f.b64(64);
      const c = f.b64(64);
      return t(`key=-----BEGIN EC PRIVATE KEY----- MHcCAQEEI${a} ${c} -----END EC PRIVATE KEY-----`, [a, c]);
    },
  ],
  [
    'PEM DSA PRIVATE KEY',
    (f) => {
      const b = pemBody(f, 6, 'MIIBuwIBAAKBgQ');
      return t(`-----BEGIN DSA PRIVATE KEY-----\n${b}\n-----END DSA PRIVATE KEY-----`, [b]);
    },
  ],
  [
    'PGP private key block',
    (f) => {
      const b = [`lQOYBG${f.b64(58)}`, f.b64(64), f.b64(64), f.b64(64), f.b64(64), `=${f.b64(4)}`].join('\n');
      return t(
        `-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: ops signing key\n\n${b}\n-----END PGP PRIVATE KEY BLOCK-----`,
        [b],
      );
    },
  ],
  [
    'PuTTY PPK v3',
    (f) => {
      const priv = [f.b64(64), f.b64(64), f.b64(64), `${f.b64(20)}=`].join('\n');
      const mac = f.hex(64);
      return t(
        `PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: deploy@bastion\nPublic-Lines: 2\nAAAAB3NzaC1yc2EAAAADAQABAAABAQ${f.b64(34)}\n${f.b64(40)}\nPrivate-Lines: 4\n${priv}\nPrivate-MAC: ${mac}\n`,
        [priv, mac],
      );
    },
  ],
  [
    'PuTTY PPK v2',
    (f) => {
      const priv = [f.b64(64), f.b64(64), `${f.b64(40)}==`].join('\n');
      return t(
        `PuTTY-User-Key-File-2: ssh-ed25519\nEncryption: none\nComment: ci\nPublic-Lines: 1\nAAAAC3NzaC1lZDI1NTE5AAAAI${f.b64(43)}\nPrivate-Lines: 3\n${priv}\nPrivate-MAC: ${f.hex(40)}\n`,
        [priv],
      );
    },
  ],
  [
    'age secret key',
    (f) => {
      const v = `AGE-SECRET-KEY-1${f.pick(BECH32, 58)}`;
      return t(
        `# created: 2026-11-30T09:00:00Z\n# public key: age1${f.pick(BECH32.toLowerCase(), 58)}\n${v}`,
        [v],
      );
    },
  ],
  token(
    'age secret key in prose',
    (f) => `AGE-SECRET-KEY-1${f.pick(BECH32, 58)}`,
    (v) => `sops decrypt failed with identity ${v}`,
  ),
];

// ---------------------------------------------------------------------------------------------
// Cookies, Basic/Bearer/Digest headers and webhook signatures in text.

const HTTP: readonly Template[] = [
  [
    'Cookie header with several cookies',
    (f) => {
      const a = f.hex(32);
      const b = f.b64url(40);
      const c = f.alnum(32);
      return t(
        `> GET /admin HTTP/1.1\n> Host: app.example.com\n> Cookie: _ga=GA1.2.1234567890.1764583200; sessionid=${a}; remember_token=${b}; csrftoken=${c}\n`,
        [a, b, c],
        ['Host: app.example.com'],
      );
    },
  ],
  [
    'Set-Cookie with attributes',
    (f) => {
      const v = f.b64url(48);
      return t(
        `< HTTP/1.1 302 Found\n< Set-Cookie: __Secure-session=${v}; Path=/; Domain=example.com; Expires=Wed, 31 Dec 2026 23:59:59 GMT; Secure; HttpOnly; SameSite=Strict\n`,
        [v],
      );
    },
  ],
  token(
    'Set-Cookie Rails session',
    (f) => `${f.b64(120)}--${f.hex(40)}`,
    (v) => `Set-Cookie: _shop_session=${v}; path=/; HttpOnly`,
  ),
  token(
    'Cookie connect.sid signed',
    (f) => `s%3A${f.b64url(32)}.${f.b64(43)}`,
    (v) => `express: Cookie: connect.sid=${v}`,
  ),
  [
    'Authorization Basic in a request dump',
    (f) => {
      const b = Buffer.from(`svc-backup:${f.password(16)}`).toString('base64');
      return t(
        `POST /v1/backup HTTP/1.1\r\nHost: backup.internal\r\nAuthorization: Basic ${b}\r\nContent-Length: 0\r\n`,
        [b],
      );
    },
  ],
  token(
    'Authorization Bearer opaque',
    (f) => f.b64url(64),
    (v) => `upstream rejected request (401); sent Authorization: Bearer ${v}`,
  ),
  token(
    'Authorization Bearer lower-case header',
    (f) => f.alnum(40),
    (v) => `headers={'authorization': 'bearer ${v}', 'accept': '*/*'}`,
  ),
  token(
    'Authorization Token (DRF style)',
    (f) => f.hex(40),
    (v) => `Authorization: Token ${v}`,
  ),
  [
    'Authorization Digest',
    (f) => {
      const r = f.hex(32);
      const n = f.b64(32);
      return t(
        `Authorization: Digest username="ada", realm="api@example.com", nonce="${n}", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="${r}", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
        [r],
      );
    },
  ],
  [
    'Proxy-Authorization Basic',
    (f) => {
      const b = Buffer.from(`proxyuser:${f.alnum(16)}`).toString('base64');
      return t(`CONNECT api.example.com:443 HTTP/1.1\nProxy-Authorization: Basic ${b}`, [b]);
    },
  ],
  token(
    'X-Hub-Signature-256 webhook',
    (f) => f.hex(64),
    (v) => `webhook delivery 7d2c: X-Hub-Signature-256: sha256=${v} did not match`,
  ),
  [
    'Stripe-Signature webhook',
    (f) => {
      const v1 = f.hex(64);
      const v0 = f.hex(64);
      return t(`Stripe-Signature: t=1764583200,v1=${v1},v0=${v0}`, [v1, v0]);
    },
  ],
  token(
    'X-Slack-Signature webhook',
    (f) => f.hex(64),
    (v) => `X-Slack-Request-Timestamp: 1764583200\nX-Slack-Signature: v0=${v}`,
  ),
  token(
    'X-Gitlab-Token webhook',
    (f) => f.alnum(32),
    (v) => `hook received with X-Gitlab-Token: ${v} from 10.0.0.5`,
  ),
  [
    'gRPC metadata authorization',
    (f) => {
      const v = f.b64url(48);
      return t(
        `rpc error: code = Unauthenticated desc = metadata: map[authorization:[Bearer ${v}] user-agent:[grpc-go/1.64.0]]`,
        [v],
      );
    },
  ],
];

export function providerCases(): SecretCase[] {
  return [
    ...casesOf('provider-token', PROVIDERS, 3),
    ...cardCases(),
    ...extraCardCases(),
    ...casesOf('private-key', KEYS, 4),
    ...casesOf('http-auth', HTTP, 5),
  ];
}
