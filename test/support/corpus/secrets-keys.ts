import type { AuditEventInput } from '@auditflow/schemas';
import { detailsEvent, envelope, Fake, nth, pemBody, type SecretCase } from './build.ts';

/**
 * Secrets under key names that say what they hold, in every casing real payloads use, at any
 * depth and in every place a key can stand: details objects, target.attributes, changes[].field,
 * header objects ({name, value}), Kubernetes env lists and two-item header entries.
 */

type ValueKind =
  | 'password'
  | 'token'
  | 'bearer'
  | 'basic'
  | 'cookie'
  | 'set-cookie'
  | 'conn'
  | 'dsn'
  | 'pem'
  | 'object'
  | 'pin';

/** Key names that hold a secret, with the kind of value services put under them. */
const SECRET_KEYS: readonly (readonly [string, ValueKind])[] = [
  ['db_password', 'password'],
  ['DB_PASSWORD', 'password'],
  ['newPassword', 'password'],
  ['oldPassword', 'password'],
  ['mysqlRootPassword', 'password'],
  ['MYSQL_ROOT_PASSWORD', 'password'],
  ['POSTGRES_PASSWORD', 'password'],
  ['RABBITMQ_DEFAULT_PASS', 'password'],
  ['smtp_pass', 'password'],
  ['adminPass', 'password'],
  ['DbPassword', 'password'],
  ['user-password', 'password'],
  ['Password', 'password'],
  ['pwd', 'password'],
  ['passwd', 'password'],
  ['redis.password', 'password'],
  ['spring.datasource.password', 'password'],
  ['truststore.password', 'password'],
  ['keystorePassword', 'password'],
  ['ldap_bind_password', 'password'],
  ['bindPassword', 'password'],
  ['ssh_passphrase', 'password'],
  ['passphrase', 'password'],
  ['api_token', 'token'],
  ['apiToken', 'token'],
  ['API_TOKEN', 'token'],
  ['X-Vault-Token', 'token'],
  ['x-auth-token', 'token'],
  ['X-Api-Key', 'token'],
  ['x-api-key', 'token'],
  ['stripe-api-key', 'token'],
  ['apiKey', 'token'],
  ['ApiKey', 'token'],
  ['APIKey', 'token'],
  ['api-key', 'token'],
  ['clientSecret', 'token'],
  ['client_secret', 'token'],
  ['ClientSecret', 'token'],
  ['oauth_client_secret', 'token'],
  ['consumerSecret', 'token'],
  ['appSecret', 'token'],
  ['AWS_SECRET_ACCESS_KEY', 'token'],
  ['aws_secret_access_key', 'token'],
  ['SecretAccessKey', 'token'],
  ['signingKey', 'token'],
  ['signing_key', 'token'],
  ['encryption_key', 'token'],
  ['encryptionKey', 'token'],
  ['master_key', 'token'],
  ['hmacKey', 'token'],
  ['shared_secret', 'token'],
  ['webhookSecret', 'token'],
  ['JWT_SECRET', 'token'],
  ['SECRET_KEY_BASE', 'token'],
  ['secretKey', 'token'],
  ['storageAccountKey', 'token'],
  ['access_token', 'token'],
  ['refresh_token', 'token'],
  ['id_token', 'token'],
  ['accessToken', 'token'],
  ['session_token', 'token'],
  ['sessionToken', 'token'],
  ['AUTH_TOKEN', 'token'],
  ['authToken', 'token'],
  ['bearerToken', 'token'],
  ['GITHUB_TOKEN', 'token'],
  ['GITLAB_PRIVATE_TOKEN', 'token'],
  ['NPM_TOKEN', 'token'],
  ['SAS_TOKEN', 'token'],
  ['csrf_token', 'token'],
  ['XSRF-TOKEN', 'token'],
  ['private_key', 'pem'],
  ['privateKey', 'pem'],
  ['SSH_PRIVATE_KEY', 'pem'],
  ['credentials', 'object'],
  ['Credentials', 'object'],
  ['auth', 'basic'],
  ['Authorization', 'bearer'],
  ['authorization', 'bearer'],
  ['Proxy-Authorization', 'basic'],
  ['Cookie', 'cookie'],
  ['cookie', 'cookie'],
  ['Set-Cookie', 'set-cookie'],
  ['connection_string', 'conn'],
  ['connectionString', 'conn'],
  ['ConnectionStrings.Default', 'conn'],
  ['DATABASE_URL', 'conn'],
  ['SENTRY_DSN', 'dsn'],
  ['sentry.dsn', 'dsn'],
  ['pin', 'pin'],
  ['PRIVATE-TOKEN', 'token'],
  ['X-Gitlab-Token', 'token'],
  ['X-Shopify-Access-Token', 'token'],
  ['x-goog-api-key', 'token'],
  ['Ocp-Apim-Subscription-Key', 'token'],
  ['X-Amz-Security-Token', 'token'],
  ['X-Auth-Key', 'token'],
  ['DD-API-KEY', 'token'],
  ['DD-APPLICATION-KEY', 'token'],
  ['apikey', 'token'],
  ['x-hasura-admin-secret', 'token'],
  ['X-Client-Secret', 'token'],
  ['SLACK_BOT_TOKEN', 'token'],
  ['OPENAI_API_KEY', 'token'],
  ['STRIPE_SECRET_KEY', 'token'],
  ['TWILIO_AUTH_TOKEN', 'token'],
  ['DOCKER_PASSWORD', 'password'],
  ['CI_JOB_TOKEN', 'token'],
  ['CI_REGISTRY_PASSWORD', 'password'],
  ['VAULT_TOKEN', 'token'],
  ['CONSUL_HTTP_TOKEN', 'token'],
  ['ARM_CLIENT_SECRET', 'token'],
  ['CODECOV_TOKEN', 'token'],
  ['SONAR_TOKEN', 'token'],
  ['NETLIFY_AUTH_TOKEN', 'token'],
  ['CLOUDFLARE_API_TOKEN', 'token'],
  ['PULUMI_ACCESS_TOKEN', 'token'],
  ['TF_TOKEN_app_terraform_io', 'token'],
  ['KAFKA_SASL_PASSWORD', 'password'],
  ['ssl.key.password', 'password'],
  ['ssl.keystore.password', 'password'],
  ['javax.net.ssl.trustStorePassword', 'password'],
  ['secret_access_key', 'token'],
  ['accountKey', 'token'],
  ['SharedAccessKey', 'token'],
  ['webhook_token', 'token'],
  ['passcode', 'pin'],
  ['mfa_secret', 'token'],
  ['totp_secret', 'token'],
  ['recovery_codes', 'token'],
  ['db-pass', 'password'],
  ['DB_PASS', 'password'],
  ['pass', 'password'],
  ['userPassword', 'password'],
  ['password_confirmation', 'password'],
  ['current_password', 'password'],
  ['PASSWORD', 'password'],
  ['Passwd', 'password'],
  ['root_pw', 'password'],
  ['admin-secret', 'token'],
  ['app.secret', 'token'],
  ['oauth.token', 'token'],
  ['Access-Token', 'token'],
  ['x-access-token', 'token'],
  ['X-CSRF-Token', 'token'],
  ['x-xsrf-token', 'token'],
  ['client-key-data', 'pem'],
  ['tls.key', 'pem'],
  ['serviceAccountKey', 'object'],
  ['GOOGLE_CREDENTIALS', 'object'],
];

interface Value {
  readonly value: unknown;
  readonly secrets: string[];
}

function valueFor(kind: ValueKind, f: Fake): Value {
  switch (kind) {
    case 'password': {
      const p = f.password(16);
      return { value: p, secrets: [p] };
    }
    case 'token': {
      const t = f.alnum(40);
      return { value: t, secrets: [t] };
    }
    case 'bearer': {
      const t = `${f.b64url(36)}.${f.b64url(20)}`;
      return { value: `Bearer ${t}`, secrets: [t] };
    }
    case 'basic': {
      const pass = f.password(14);
      const b64 = Buffer.from(`deploy:${pass}`).toString('base64');
      return { value: `Basic ${b64}`, secrets: [b64] };
    }
    case 'cookie': {
      const sid = f.hex(32);
      const csrf = f.alnum(32);
      return { value: `sessionid=${sid}; csrftoken=${csrf}; theme=dark`, secrets: [sid, csrf] };
    }
    case 'set-cookie': {
      const sid = f.b64url(43);
      return {
        value: `__Host-sid=${sid}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=3600`,
        secrets: [sid],
      };
    }
    case 'conn': {
      const p = f.password(18);
      return {
        value: `Server=tcp:sql-prod.database.windows.net,1433;Database=orders;User ID=orders_app;Password=${p};Encrypt=True;`,
        secrets: [p],
      };
    }
    case 'dsn': {
      const key = f.hex(32);
      return { value: `https://${key}@o450123.ingest.sentry.io/5501234`, secrets: [key] };
    }
    case 'pem': {
      const body = pemBody(f, 6, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
      return { value: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`, secrets: [body] };
    }
    case 'object': {
      const p = f.password(20);
      const k = f.alnum(40);
      return { value: { username: 'svc-orders', password: p, apiKey: k }, secrets: [p, k] };
    }
    case 'pin': {
      const pin = f.digits(6);
      return { value: Number(`9${pin}`), secrets: [`9${pin}`] };
    }
  }
}

type Placement = (key: string, value: unknown, label: string, i: number) => AuditEventInput;

/** The places a key can stand, rotated over the key names. */
const PLACEMENTS: readonly (readonly [string, Placement])[] = [
  ['flat details', (k, v, l, i) => detailsEvent(l, i, { step: 'configure', [k]: v, region: 'eu-west-1' })],
  [
    'depth 4',
    (k, v, l, i) =>
      detailsEvent(l, i, { config: { services: { orders: { database: { host: 'db-1', [k]: v } } } } }),
  ],
  [
    'target.attributes',
    (k, v, l, i) => ({
      ...envelope(l, i),
      target: {
        type: 'secret',
        id: 'orders',
        name: 'orders',
        attributes: { env: 'prod', [k]: typeof v === 'object' ? JSON.stringify(v) : (v as string | number) },
      },
    }),
  ],
  [
    'changes[].field',
    (k, v, l, i) => ({
      ...envelope(l, i),
      action: 'settings.updated',
      changes: [{ field: k, before: v, after: v }],
    }),
  ],
  [
    'HAR header object',
    (k, v, l, i) =>
      detailsEvent(l, i, {
        request: {
          method: 'POST',
          url: 'https://api.example.com/v2/orders',
          headers: [
            { name: 'Accept', value: 'application/json' },
            { name: k, value: typeof v === 'object' ? JSON.stringify(v) : v },
          ],
        },
      }),
  ],
  [
    'Kubernetes env',
    (k, v, l, i) =>
      detailsEvent(l, i, {
        spec: {
          containers: [
            {
              name: 'api',
              image: 'registry.example.com/team/api:1.4.2',
              env: [
                { name: 'LOG_LEVEL', value: 'info' },
                { name: k, value: typeof v === 'object' ? JSON.stringify(v) : String(v) },
              ],
            },
          ],
        },
      }),
  ],
  [
    'header entry pair',
    (k, v, l, i) =>
      detailsEvent(l, i, {
        fetch: {
          headers: [
            ['Accept', 'application/json'],
            [k, typeof v === 'object' ? JSON.stringify(v) : v],
          ],
        },
      }),
  ],
  [
    'array of objects',
    (k, v, l, i) =>
      detailsEvent(l, i, {
        targets: [
          { name: 'primary', ok: true },
          { name: 'replica', settings: { [k]: v } },
        ],
      }),
  ],
  [
    'JSON in a string',
    (k, v, l, i) => detailsEvent(l, i, { response_body: JSON.stringify({ status: 'ok', data: { [k]: v } }) }),
  ],
  [
    'changes[].after object',
    (k, v, l, i) => ({
      ...envelope(l, i),
      action: 'settings.updated',
      changes: [{ field: 'integration', before: { enabled: false }, after: { enabled: true, [k]: v } }],
    }),
  ],
];

export function keyNameCases(): SecretCase[] {
  return SECRET_KEYS.map(([key, kind], i) => {
    const [where, place] = nth(PLACEMENTS, i);
    const label = `key ${key} (${where})`;
    const { value, secrets } = valueFor(kind, new Fake(label));
    return { name: label, category: 'key-name', secrets, event: place(key, value, label, i) };
  });
}
