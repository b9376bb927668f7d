import {
  Fake,
  grouped,
  nth,
  pemBody,
  type SecretCase,
  type SecretCategory,
  textEvent,
  withLuhn,
} from './build.ts';

/**
 * Provider tokens in their real formats (GitHub, GitLab, Slack, Stripe, AWS, GCP, Azure, OpenAI,
 * Anthropic, ...), payment cards of every major IIN range, private keys (PEM, PGP, PuTTY, age),
 * cookies, Basic/Bearer/Digest headers and webhook signatures, in prose that mostly does not
 * say "token" or "password": the value's shape alone must give it away.
 */

interface Text {
  readonly text: string;
  readonly secrets: string[];
  readonly keep?: string[];
}
type Template = readonly [name: string, make: (f: Fake) => Text];
const t = (text: string, secrets: string[], keep?: string[]): Text =>
  keep ? { text, secrets, keep } : { text, secrets };

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
  [
    'GitHub ghp_ classic PAT',
    (f) => {
      const v = `ghp_${f.alnum(36)}`;
      return t(`pasted ${v} into the runner settings by mistake`, [v]);
    },
  ],
  [
    'GitHub gho_ OAuth',
    (f) => {
      const v = `gho_${f.alnum(36)}`;
      return t(`oauth exchange returned ${v} for user ada`, [v]);
    },
  ],
  [
    'GitHub ghu_ user-to-server',
    (f) => {
      const v = `ghu_${f.alnum(36)}`;
      return t(`app acted with ${v} on acme/api`, [v]);
    },
  ],
  [
    'GitHub ghs_ installation',
    (f) => {
      const v = `ghs_${f.alnum(36)}`;
      return t(`installation 4410231 minted ${v} (expires in 1h)`, [v]);
    },
  ],
  [
    'GitHub ghr_ refresh',
    (f) => {
      const v = `ghr_${f.alnum(76)}`;
      return t(`stored ${v} for later`, [v]);
    },
  ],
  [
    'GitHub fine-grained github_pat_',
    (f) => {
      const v = `github_pat_11${f.upper(20)}_${f.alnum(59)}`;
      return t(`CI used ${v} to push tags`, [v]);
    },
  ],
  [
    'GitLab glpat-',
    (f) => {
      const v = `glpat-${f.b64url(20)}`;
      return t(`The job log printed ${v} before masking kicked in`, [v]);
    },
  ],
  [
    'GitLab gldt- deploy',
    (f) => {
      const v = `gldt-${f.b64url(20)}`;
      return t(`registry pull with ${v} succeeded`, [v]);
    },
  ],
  [
    'GitLab glrt- runner',
    (f) => {
      const v = `glrt-${f.b64url(20)}`;
      return t(`gitlab-runner register --url https://gitlab.example.com ${v}`, [v]);
    },
  ],
  [
    'Slack xoxb- bot',
    (f) => {
      const v = `xoxb-${f.number(12)}-${f.number(13)}-${f.alnum(24)}`;
      return t(`posting to #deploys as ${v}`, [v]);
    },
  ],
  [
    'Slack xoxp- user',
    (f) => {
      const v = `xoxp-${f.number(12)}-${f.number(12)}-${f.number(13)}-${f.hex(32)}`;
      return t(`legacy integration still uses ${v}`, [v]);
    },
  ],
  [
    'Slack xapp- app-level',
    (f) => {
      const v = `xapp-1-A${f.upper(10)}-${f.number(13)}-${f.hex(64)}`;
      return t(`socket mode connect ${v}`, [v]);
    },
  ],
  [
    'Slack webhook URL',
    (f) => {
      const v = `T${f.upper(8)}/B${f.upper(10)}/${f.alnum(24)}`;
      return t(`notify https://hooks.slack.com/services/${v} failed: 404 no_service`, [v]);
    },
  ],
  [
    'Stripe sk_live_',
    (f) => {
      const v = `sk_live_51${f.alnum(97)}`;
      return t(`charge created with ${v} in region eu`, [v]);
    },
  ],
  [
    'Stripe rk_live_ restricted',
    (f) => {
      const v = `rk_live_51${f.alnum(97)}`;
      return t(`reporting job authenticated as ${v}`, [v]);
    },
  ],
  [
    'Stripe whsec_',
    (f) => {
      const v = `whsec_${f.alnum(32)}`;
      return t(`endpoint we_1Q2w3E4r5T6y7U8i configured with ${v}`, [v]);
    },
  ],
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
  [
    'GCP API key',
    (f) => {
      const v = `AIza${f.b64url(35)}`;
      return t(`maps request https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key=${v}`, [v]);
    },
  ],
  [
    'GCP API key alone',
    (f) => {
      const v = `AIzaSy${f.b64url(33)}`;
      return t(`firebase config apiKey ${v} projectId acme-prod`, [v]);
    },
  ],
  [
    'Google OAuth client secret',
    (f) => {
      const v = `GOCSPX-${f.b64url(28)}`;
      return t(`oauth client 123456789012-abc.apps.googleusercontent.com uses ${v}`, [v]);
    },
  ],
  [
    'Google OAuth access token ya29',
    (f) => {
      const v = `ya29.a0${f.b64url(150)}`;
      return t(`calling Drive with ${v}`, [v]);
    },
  ],
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
  [
    'Azure AD client secret',
    (f) => {
      const v = `${f.alnum(3)}8Q~${f.alnum(34)}`;
      return t(`app registration orders-api secret value ${v} (expires 2027-06-01)`, [v]);
    },
  ],
  [
    'OpenAI sk-proj-',
    (f) => {
      const v = `sk-proj-${f.b64url(74)}T3BlbkFJ${f.b64url(74)}`;
      return t(`LLM call with ${v} returned 429`, [v]);
    },
  ],
  [
    'OpenAI legacy sk-',
    (f) => {
      const v = `sk-${f.alnum(20)}T3BlbkFJ${f.alnum(20)}`;
      return t(`old notebook still has ${v}`, [v]);
    },
  ],
  [
    'Anthropic sk-ant-api03-',
    (f) => {
      const v = `sk-ant-api03-${f.b64url(93)}AA`;
      return t(`agent configured with ${v} for claude`, [v]);
    },
  ],
  [
    'HuggingFace hf_',
    (f) => {
      const v = `hf_${f.pick('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 34)}`;
      return t(`huggingface-cli login ${v}`, [v]);
    },
  ],
  [
    'npm npm_',
    (f) => {
      const v = `npm_${f.alnum(36)}`;
      return t(`publish @acme/sdk@2.1.0 using ${v}`, [v]);
    },
  ],
  [
    'PyPI pypi-AgEI',
    (f) => {
      const v = `pypi-AgEIcHlwaS5vcmc${f.b64url(140)}`;
      return t(`twine upload -u __token__ ${v} dist/*`, [v]);
    },
  ],
  [
    'Twilio SK API key',
    (f) => {
      const v = `SK${f.hex(32)}`;
      return t(`twilio client created with ${v}`, [v]);
    },
  ],
  [
    'Twilio account SID with auth token',
    (f) => {
      const tok = f.hex(32);
      return t(`https://AC${f.hex(32)}:${tok}@api.twilio.com/2010-04-01/Accounts.json`, [tok]);
    },
  ],
  [
    'SendGrid SG.',
    (f) => {
      const v = `SG.${f.b64url(22)}.${f.b64url(43)}`;
      return t(`mail relay key ${v} rejected`, [v]);
    },
  ],
  [
    'Mailgun key-',
    (f) => {
      const v = `key-${f.hex(32)}`;
      return t(`mailgun domain mg.acme.io auth ${v}`, [v]);
    },
  ],
  [
    'Datadog API key',
    (f) => {
      const v = f.hex(32);
      return t(`datadog api key ${v} for site datadoghq.eu`, [v]);
    },
  ],
  [
    'Datadog application key',
    (f) => {
      const v = f.hex(40);
      return t(`datadog app key: ${v}`, [v]);
    },
  ],
  [
    'Shopify shpat_',
    (f) => {
      const v = `shpat_${f.hex(32)}`;
      return t(`storefront sync as ${v}`, [v]);
    },
  ],
  [
    'Doppler dp.pt.',
    (f) => {
      const v = `dp.pt.${f.alnum(43)}`;
      return t(`doppler run with ${v}`, [v]);
    },
  ],
  [
    'Vault hvs. service token',
    (f) => {
      const v = `hvs.${f.b64url(95)}`;
      return t(`vault kv get secret/orders with ${v}`, [v]);
    },
  ],
  [
    'Vault legacy s. token',
    (f) => {
      const v = `s.${f.alnum(24)}`;
      return t(`VAULT_ADDR=https://vault.internal:8200 vault login ${v}`, [v]);
    },
  ],
  [
    'JWT HS256 in prose',
    (f) => {
      const v = jwt(f, 'HS256');
      return t(`session restored from ${v}`, [v]);
    },
  ],
  [
    'JWT RS256 in a header line',
    (f) => {
      const v = jwt(f, 'RS256');
      return t(`x-amzn-oidc-data: ${v}`, [v]);
    },
  ],
  [
    'Discord bot token',
    (f) => {
      const v = `${b64url(String(1000000000000000000n + BigInt(f.digits(17)))).replace(/=+$/, '')}.${f.b64url(6)}.${f.b64url(38)}`;
      return t(`discord bot started with ${v}`, [v]);
    },
  ],
  [
    'Telegram bot token',
    (f) => {
      const v = `${f.number(10)}:AA${f.b64url(33)}`;
      return t(`sendMessage https://api.telegram.org/bot${v}/sendMessage chat=-1001234`, [v]);
    },
  ],
  [
    'Heroku API key (UUID form)',
    (f) => {
      const v = f.uuid();
      return t(`heroku api key = ${v}`, [v]);
    },
  ],
  [
    'Heroku HRKU-AA',
    (f) => {
      const v = `HRKU-AA${f.b64url(58)}`;
      return t(`heroku authorizations:create returned ${v}`, [v]);
    },
  ],
  [
    'DigitalOcean dop_v1_',
    (f) => {
      const v = `dop_v1_${f.hex(64)}`;
      return t(`doctl auth init -t ${v}`, [v]);
    },
  ],
  [
    'Atlassian ATATT3',
    (f) => {
      const v = `ATATT3${f.b64url(186)}`;
      return t(`jira automation uses ${v}`, [v]);
    },
  ],
  [
    'Linear lin_api_',
    (f) => {
      const v = `lin_api_${f.alnum(40)}`;
      return t(`linear sync as ${v}`, [v]);
    },
  ],
  [
    'Postman PMAK-',
    (f) => {
      const v = `PMAK-${f.hex(24)}-${f.hex(34)}`;
      return t(`newman run collection.json --postman-api-key ${v}`, [v]);
    },
  ],
  [
    'Sentry DSN',
    (f) => {
      const v = f.hex(32);
      return t(`Sentry.init({ dsn: "https://${v}@o450123.ingest.sentry.io/5501234" })`, [v]);
    },
  ],
  [
    'Sentry user token sntryu_',
    (f) => {
      const v = `sntryu_${f.hex(64)}`;
      return t(`sentry-cli releases new 1.4.2 --auth ${v}`, [v]);
    },
  ],
  [
    'Grafana glsa_',
    (f) => {
      const v = `glsa_${f.alnum(32)}_${f.hex(8)}`;
      return t(`grafana dashboard import as ${v}`, [v]);
    },
  ],
  [
    'Terraform Cloud atlasv1',
    (f) => {
      const v = `${f.lower(14)}.atlasv1.${f.b64url(67)}`;
      return t(`credentials "app.terraform.io" { value = ${v} }`, [v]);
    },
  ],
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
  [
    'age secret key in prose',
    (f) => {
      const v = `AGE-SECRET-KEY-1${f.pick(BECH32, 58)}`;
      return t(`sops decrypt failed with identity ${v}`, [v]);
    },
  ],
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
  [
    'Set-Cookie Rails session',
    (f) => {
      const v = `${f.b64(120)}--${f.hex(40)}`;
      return t(`Set-Cookie: _shop_session=${v}; path=/; HttpOnly`, [v]);
    },
  ],
  [
    'Cookie connect.sid signed',
    (f) => {
      const v = `s%3A${f.b64url(32)}.${f.b64(43)}`;
      return t(`express: Cookie: connect.sid=${v}`, [v]);
    },
  ],
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
  [
    'Authorization Bearer opaque',
    (f) => {
      const v = f.b64url(64);
      return t(`upstream rejected request (401); sent Authorization: Bearer ${v}`, [v]);
    },
  ],
  [
    'Authorization Bearer lower-case header',
    (f) => {
      const v = f.alnum(40);
      return t(`headers={'authorization': 'bearer ${v}', 'accept': '*/*'}`, [v]);
    },
  ],
  [
    'Authorization Token (DRF style)',
    (f) => {
      const v = f.hex(40);
      return t(`Authorization: Token ${v}`, [v]);
    },
  ],
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
  [
    'X-Hub-Signature-256 webhook',
    (f) => {
      const v = f.hex(64);
      return t(`webhook delivery 7d2c: X-Hub-Signature-256: sha256=${v} did not match`, [v]);
    },
  ],
  [
    'Stripe-Signature webhook',
    (f) => {
      const v = f.hex(64);
      return t(`Stripe-Signature: t=1764583200,v1=${v},v0=${f.hex(64)}`, [v]);
    },
  ],
  [
    'X-Slack-Signature webhook',
    (f) => {
      const v = f.hex(64);
      return t(`X-Slack-Request-Timestamp: 1764583200\nX-Slack-Signature: v0=${v}`, [v]);
    },
  ],
  [
    'X-Gitlab-Token webhook',
    (f) => {
      const v = f.alnum(32);
      return t(`hook received with X-Gitlab-Token: ${v} from 10.0.0.5`, [v]);
    },
  ],
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

function casesOf(category: SecretCategory, templates: readonly Template[], offset: number): SecretCase[] {
  return templates.map(([name, make], i) => {
    const label = `${category}: ${name}`;
    const { text, secrets, keep } = make(new Fake(label));
    const event = textEvent(label, offset + i, text);
    return keep ? { name: label, category, secrets, keep, event } : { name: label, category, secrets, event };
  });
}

export function providerCases(): SecretCase[] {
  return [
    ...casesOf('provider-token', PROVIDERS, 3),
    ...cardCases(),
    ...extraCardCases(),
    ...casesOf('private-key', KEYS, 4),
    ...casesOf('http-auth', HTTP, 5),
  ];
}
