import { casesOf, Fake, type SecretCase, type Template, type Text, t, textEvent } from './build.ts';

/**
 * Secrets inside free text the way logs, CLI lines, config snippets and env dumps carry them:
 * `key=value`, `key: value`, `--key value`, URL user-info, connection strings, YAML/INI/.env,
 * .npmrc/.pypirc/.netrc/.git-credentials, printenv output. Each case is placed in one of the
 * free-text places (details, error.message, target.attributes, changes, JSON-in-a-string).
 */

const FREE_TEXT: readonly Template[] = [
  [
    'key=value in a log line',
    (f) => {
      const p = f.password(14);
      return t(
        `2026-12-01T10:02:11Z INFO connecting user=orders password=${p} host=db-1.internal`,
        [p],
        ['db-1.internal'],
      );
    },
  ],
  [
    'db_password=value',
    (f) => {
      const p = f.password(16);
      return t(`starting worker with db_password=${p} pool=10`, [p]);
    },
  ],
  [
    'key: value',
    (f) => {
      const p = f.password(15);
      return t(`retrying login; password: ${p} (attempt 3 of 5)`, [p]);
    },
  ],
  [
    '"key": "value" inside non-JSON text',
    (f) => {
      const k = f.alnum(32);
      return t(`request failed: 400 {"error":"bad_request","api_key": "${k}", "hint": "check the key"`, [k]);
    },
  ],
  [
    "'key': 'value' (Python repr)",
    (f) => {
      const s = f.alnum(40);
      return t(
        `payload={'client_id': 'orders-app', 'client_secret': '${s}', 'grant_type': 'client_credentials'}`,
        [s],
        ['orders-app'],
      );
    },
  ],
  [
    'key = value with spaces',
    (f) => {
      const s = f.b64(40);
      return t(`aws_secret_access_key = ${s}\nregion = eu-west-1`, [s]);
    },
  ],
  [
    'camelCase key in prose',
    (f) => {
      const p = f.password(18);
      return t(`Updated user profile, newPassword=${p}, sendEmail=true`, [p]);
    },
  ],
  [
    'header-case key in prose',
    (f) => {
      const v = `hvs.${f.alnum(24)}`;
      return t(`proxying with X-Vault-Token: ${v} to vault.internal:8200`, [v]);
    },
  ],
  [
    'token in a sentence with a colon',
    (f) => {
      const tok = f.alnum(36);
      return t(`Using token: ${tok} for the sync job`, [tok]);
    },
  ],
  [
    'secret=quoted value with spaces',
    (f) => {
      const s = `${f.alnum(6)} ${f.alnum(7)} ${f.alnum(6)}`;
      return t(`set secret="${s}" for tenant globex`, [s]);
    },
  ],
  [
    'query string access_token',
    (f) => {
      const tok = f.b64url(40);
      return t(`GET /api/v4/projects?access_token=${tok}&per_page=100 HTTP/1.1 200`, [tok], ['per_page=100']);
    },
  ],
  [
    'query string private_token in a URL',
    (f) => {
      const tok = `glpat-${f.b64url(20)}`;
      return t(`fetch https://gitlab.example.com/api/v4/projects/42/jobs?private_token=${tok}&scope=failed`, [
        tok,
      ]);
    },
  ],
  [
    'query string api_key and sig',
    (f) => {
      const k = f.hex(32);
      const s = f.b64url(43);
      return t(`callback https://hooks.example.com/in?api_key=${k}&ts=1764583200&sig=${s}`, [k, s]);
    },
  ],
  [
    'query string client_secret in the middle',
    (f) => {
      const s = f.alnum(34);
      return t(
        `POST /oauth/token?grant_type=client_credentials&client_id=web&client_secret=${s}&scope=read`,
        [s],
      );
    },
  ],
  [
    'URL user-info postgres',
    (f) => {
      const p = f.password(16).replace(/[#%^+]/g, 'x');
      return t(
        `could not connect to postgres://orders:${p}@db-primary.internal:5432/orders?sslmode=require`,
        [p],
      );
    },
  ],
  [
    'URL user-info mongodb+srv',
    (f) => {
      const p = f.alnum(20);
      return t(
        `MONGO_URI resolved to mongodb+srv://app_user:${p}@cluster0.ab12c.mongodb.net/shop?retryWrites=true`,
        [p],
      );
    },
  ],
  [
    'URL user-info redis with empty user',
    (f) => {
      const p = f.alnum(24);
      return t(`redis: dial redis://:${p}@redis-master:6379/0 failed: timeout`, [p]);
    },
  ],
  [
    'URL user-info amqp',
    (f) => {
      const p = f.alnum(18);
      return t(`amqp://guest-svc:${p}@rabbitmq.internal:5672/%2F connection reset`, [p]);
    },
  ],
  [
    'URL user-info https git remote',
    (f) => {
      const tok = `ghp_${f.alnum(36)}`;
      return t(`fatal: unable to access 'https://x-access-token:${tok}@github.com/acme/api.git/': 403`, [
        tok,
      ]);
    },
  ],
  [
    'URL user-info with percent-encoded password',
    (f) => {
      const p = `${f.alnum(8)}%40${f.alnum(6)}%21`;
      return t(`mysql://root:${p}@10.0.3.17:3306/app`, [p]);
    },
  ],
  [
    'ADO.NET connection string',
    (f) => {
      const p = f.password(20);
      return t(
        `Server=tcp:orders.database.windows.net,1433;Initial Catalog=orders;User ID=sa;Password=${p};Encrypt=True;`,
        [p],
      );
    },
  ],
  [
    'ADO.NET with Pwd=',
    (f) => {
      const p = f.password(14);
      return t(`Data Source=sql01;Database=crm;Uid=crm_app;Pwd=${p};`, [p]);
    },
  ],
  [
    'JDBC URL with password parameter',
    (f) => {
      const p = f.password(16).replace(/[#%^+&]/g, 'y');
      return t(`jdbc:mysql://db.internal:3306/shop?user=shop&password=${p}&useSSL=true`, [p]);
    },
  ],
  [
    'JDBC postgres with password parameter',
    (f) => {
      const p = f.alnum(16);
      return t(`HikariPool-1 - jdbc:postgresql://pg:5432/app?user=app&password=${p} failed`, [p]);
    },
  ],
  [
    'XML password element',
    (f) => {
      const p = f.password(15);
      return t(`<datasource><user>app</user><password>${p}</password></datasource>`, [p]);
    },
  ],
  [
    'XML apiKey attribute',
    (f) => {
      const k = f.alnum(32);
      return t(`<service name="geo" apiKey="${k}" timeout="30"/>`, [k]);
    },
  ],
  [
    'Python kwargs',
    (f) => {
      const p = f.password(16);
      return t(`psycopg2.connect(host='db', user='app', password='${p}', dbname='app')`, [p]);
    },
  ],
  [
    'error message with token in quotes',
    (f) => {
      const tok = f.b64url(44);
      return t(`invalid refresh_token "${tok}": expired`, [tok]);
    },
  ],
];

const CLI: readonly Template[] = [
  [
    '--password value',
    (f) => {
      const p = f.password(14);
      return t(`$ vault login -method=userpass username=ops --password ${p}`, [p]);
    },
  ],
  [
    '--password=value',
    (f) => {
      const p = f.password(14);
      return t(
        `/usr/bin/backup --host db1 --password=${p} --out /backups/db1.sql.gz`,
        [p],
        ['/backups/db1.sql.gz'],
      );
    },
  ],
  [
    '--token value',
    (f) => {
      const tok = f.alnum(40);
      return t(`gh-sync --org acme --token ${tok} --dry-run`, [tok]);
    },
  ],
  [
    '--api-key=value',
    (f) => {
      const k = f.hex(40);
      return t(`datadog-agent check --api-key=${k} --site datadoghq.eu`, [k]);
    },
  ],
  [
    '--client-secret value',
    (f) => {
      const s = f.b64url(32);
      return t(
        `az login --service-principal -u 7f2c5a1e-3d4b-4c6a-9e8f-1a2b3c4d5e6f --client-secret ${s} --tenant acme`,
        [s],
      );
    },
  ],
  [
    'KEY=value cmd',
    (f) => {
      const p = f.password(16);
      return t(`PGPASSWORD=${p} psql -h db -U app -c 'select 1'`, [p]);
    },
  ],
  [
    'two env prefixes then cmd',
    (f) => {
      const id = `AKIA${f.upper(16)}`;
      const s = f.b64(40);
      return t(`AWS_ACCESS_KEY_ID=${id} AWS_SECRET_ACCESS_KEY=${s} aws s3 ls s3://acme-backups`, [id, s]);
    },
  ],
  [
    'export KEY=value',
    (f) => {
      const tok = f.alnum(40);
      return t(`export API_TOKEN=${tok}\nexport LOG_LEVEL=debug`, [tok]);
    },
  ],
  [
    'export KEY="quoted value"',
    (f) => {
      const s = f.alnum(48);
      return t(`export STRIPE_WEBHOOK_SECRET="${s}"`, [s]);
    },
  ],
  [
    'curl -u user:pass',
    (f) => {
      const p = f.password(14);
      return t(`curl -sS -u admin:${p} https://jenkins.internal/api/json`, [p]);
    },
  ],
  [
    'curl --user user:pass',
    (f) => {
      const p = f.alnum(20);
      return t(`curl --user deploy:${p} -X POST https://nexus.internal/service/rest/v1/components`, [p]);
    },
  ],
  [
    'curl -H Authorization Bearer',
    (f) => {
      const tok = f.b64url(48);
      return t(`curl -H "Authorization: Bearer ${tok}" https://api.example.com/v1/me`, [tok]);
    },
  ],
  [
    "curl -H 'X-Api-Key: …'",
    (f) => {
      const k = f.alnum(32);
      return t(`curl -s -H 'X-Api-Key: ${k}' -H 'Accept: application/json' https://api.example.com/items`, [
        k,
      ]);
    },
  ],
  [
    'curl -d with password form field',
    (f) => {
      const p = f.password(14);
      return t(`curl -d "username=ada&password=${p}&remember=1" https://app.example.com/login`, [p]);
    },
  ],
  [
    "mysql -p'…'",
    (f) => {
      const p = f.password(14);
      return t(`mysql -u root -p'${p}' -h 127.0.0.1 shop < dump.sql`, [p]);
    },
  ],
  [
    'mysql -pvalue (glued)',
    (f) => {
      const p = f.alnum(16);
      return t(`mysqldump -uroot -p${p} --all-databases`, [p]);
    },
  ],
  [
    'docker login -p',
    (f) => {
      const p = f.alnum(32);
      return t(`docker login -u ci-bot -p ${p} registry.example.com`, [p]);
    },
  ],
  [
    'docker login --password',
    (f) => {
      const p = `glpat-${f.b64url(20)}`;
      return t(`docker login registry.gitlab.com --username ci --password ${p}`, [p]);
    },
  ],
  [
    'docker run -e KEY=value',
    (f) => {
      const p = f.password(18);
      return t(`docker run -d -e POSTGRES_PASSWORD=${p} -p 5432:5432 postgres:16`, [p]);
    },
  ],
  [
    'kubectl create secret --from-literal',
    (f) => {
      const p = f.password(16);
      return t(`kubectl create secret generic db --from-literal=password=${p} -n prod`, [p]);
    },
  ],
  [
    'helm --set key=value',
    (f) => {
      const p = f.alnum(24);
      return t(
        `helm upgrade --install pg bitnami/postgresql --set auth.postgresPassword=${p} --namespace data`,
        [p],
      );
    },
  ],
  [
    'sshpass -p',
    (f) => {
      const p = f.password(12);
      return t(`sshpass -p '${p}' ssh deploy@10.0.4.21 'systemctl restart api'`, [p]);
    },
  ],
  [
    'npm config set _authToken',
    (f) => {
      const tok = `npm_${f.alnum(36)}`;
      return t(`npm config set //registry.npmjs.org/:_authToken ${tok}`, [tok]);
    },
  ],
  [
    'git clone with token in URL',
    (f) => {
      const tok = `glpat-${f.b64url(20)}`;
      return t(`git clone https://oauth2:${tok}@gitlab.example.com/acme/infra.git`, [tok]);
    },
  ],
  [
    'openssl -passout pass:',
    (f) => {
      const p = f.alnum(18);
      return t(`openssl pkcs12 -export -in cert.pem -inkey key.pem -out bundle.p12 -passout pass:${p}`, [p]);
    },
  ],
  [
    'terraform -var',
    (f) => {
      const p = f.password(16);
      return t(`terraform apply -var "db_password=${p}" -auto-approve`, [p]);
    },
  ],
];

const CONFIG: readonly Template[] = [
  [
    'YAML nested password unquoted',
    (f) => {
      const p = f.password(16).replace(/[#*]/g, 'z');
      return t(
        `database:\n  host: db.internal\n  port: 5432\n  password: ${p}\n  pool: 10\n`,
        [p],
        ['db.internal'],
      );
    },
  ],
  [
    'YAML quoted value with spaces',
    (f) => {
      const p = `${f.alnum(5)} ${f.alnum(6)} ${f.alnum(5)} ${f.alnum(4)}`;
      return t(`smtp:\n  user: "mailer"\n  password: "${p}"\n`, [p]);
    },
  ],
  [
    'YAML single-quoted secret',
    (f) => {
      const s = f.alnum(40);
      return t(`auth:\n  client_secret: '${s}'\n  client_id: 'web'\n`, [s]);
    },
  ],
  [
    'YAML unquoted value with spaces',
    (f) => {
      const p = `${f.alnum(6)} ${f.alnum(6)} ${f.alnum(6)}`;
      return t(`ldap:\n  bind_dn: cn=svc,dc=acme,dc=io\n  bind_password: ${p}\n`, [p]);
    },
  ],
  [
    'YAML list item env',
    (f) => {
      const p = f.alnum(22);
      return t(`env:\n  - name: DB_PASSWORD\n    value: ${p}\n  - name: LOG_LEVEL\n    value: info\n`, [p]);
    },
  ],
  [
    'Kubernetes Secret stringData',
    (f) => {
      const p = f.alnum(20);
      const tok = f.b64url(40);
      return t(
        `apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-secrets\nstringData:\n  DATABASE_PASSWORD: ${p}\n  STRIPE_KEY: "${tok}"\n`,
        [p, tok],
      );
    },
  ],
  [
    'Kubernetes Secret data (base64)',
    (f) => {
      const b = Buffer.from(f.password(18)).toString('base64');
      return t(`kind: Secret\ndata:\n  password: ${b}\n`, [b]);
    },
  ],
  [
    'Docker Compose environment map',
    (f) => {
      const p = f.password(16);
      return t(
        `services:\n  db:\n    image: mysql:8\n    environment:\n      MYSQL_ROOT_PASSWORD: ${p}\n      MYSQL_DATABASE: shop\n`,
        [p],
      );
    },
  ],
  [
    'Docker Compose environment list',
    (f) => {
      const p = f.alnum(20);
      return t(`    environment:\n      - POSTGRES_USER=app\n      - POSTGRES_PASSWORD=${p}\n`, [p]);
    },
  ],
  [
    'INI section',
    (f) => {
      const p = f.password(14);
      return t(`[client]\nuser = backup\npassword = ${p}\nhost = 127.0.0.1\n`, [p]);
    },
  ],
  [
    'Java properties',
    (f) => {
      const p = f.password(16);
      return t(
        `spring.datasource.url=jdbc:postgresql://db:5432/app\nspring.datasource.username=app\nspring.datasource.password=${p}\n`,
        [p],
      );
    },
  ],
  [
    'properties with colon separator',
    (f) => {
      const s = f.alnum(32);
      return t(`mail.smtp.user: notify\nmail.smtp.password: ${s}\n`, [s]);
    },
  ],
  [
    '.env file',
    (f) => {
      const s = f.hex(64);
      const p = f.alnum(18);
      return t(`NODE_ENV=production\nAPP_SECRET=${s}\nDB_PASS="${p}"\nPORT=8080\n`, [s, p], ['PORT=8080']);
    },
  ],
  [
    '.env with spaces around =',
    (f) => {
      const p = f.password(16);
      return t(`REDIS_PASSWORD = ${p}\n`, [p]);
    },
  ],
  [
    'Terraform tfvars',
    (f) => {
      const p = f.password(18);
      const k = f.alnum(40);
      return t(`region         = "eu-west-1"\ndb_password    = "${p}"\ncloudflare_api_token = "${k}"\n`, [
        p,
        k,
      ]);
    },
  ],
  [
    'Terraform provider block',
    (f) => {
      const s = f.b64(40);
      return t(`provider "aws" {\n  access_key = "AKIA${f.upper(16)}"\n  secret_key = "${s}"\n}\n`, [s]);
    },
  ],
  [
    '.npmrc _authToken',
    (f) => {
      const tok = `npm_${f.alnum(36)}`;
      return t(`registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${tok}\n`, [tok]);
    },
  ],
  [
    '.npmrc _auth and _password',
    (f) => {
      const auth = Buffer.from(`ci:${f.alnum(16)}`).toString('base64');
      const pw = Buffer.from(f.alnum(14)).toString('base64');
      return t(
        `//nexus.internal/repository/npm/:_auth=${auth}\n//nexus.internal/repository/npm/:_password=${pw}\n`,
        [auth, pw],
      );
    },
  ],
  [
    '.pypirc',
    (f) => {
      const tok = `pypi-AgEIcHlwaS5vcmc${f.b64url(60)}`;
      return t(`[pypi]\nusername = __token__\npassword = ${tok}\n`, [tok]);
    },
  ],
  [
    '.netrc',
    (f) => {
      const p = f.alnum(20);
      return t(`machine api.heroku.com\n  login ada@example.com\n  password ${p}\n`, [p]);
    },
  ],
  [
    '.netrc on one line',
    (f) => {
      const p = f.password(16);
      return t(`machine ftp.example.com login deploy password ${p}`, [p]);
    },
  ],
  [
    '.git-credentials',
    (f) => {
      const tok = `ghp_${f.alnum(36)}`;
      return t(`https://ada:${tok}@github.com\n`, [tok]);
    },
  ],
  [
    'Maven settings.xml',
    (f) => {
      const p = f.alnum(24);
      return t(
        `<servers>\n  <server>\n    <id>nexus</id>\n    <username>deploy</username>\n    <password>${p}</password>\n  </server>\n</servers>`,
        [p],
      );
    },
  ],
  [
    'appsettings.json ConnectionStrings in text',
    (f) => {
      const p = f.password(18);
      return t(
        `loaded appsettings: "ConnectionStrings": { "Default": "Host=pg;Database=app;Username=app;Password=${p}" }`,
        [p],
      );
    },
  ],
  [
    'TOML secret',
    (f) => {
      const s = f.alnum(36);
      return t(`[server]\nport = 8080\nsecret_key = "${s}"\n`, [s]);
    },
  ],
  [
    'Ansible vars',
    (f) => {
      const p = f.password(16);
      return t(`ansible_user: deploy\nansible_become_pass: ${p}\n`, [p]);
    },
  ],
  [
    'Spring YAML nested key',
    (f) => {
      const p = f.alnum(20);
      return t(`spring:\n  datasource:\n    username: app\n    password: ${p}\n`, [p]);
    },
  ],
  [
    'docker config.json auth',
    (f) => {
      const a = Buffer.from(`ci:${f.alnum(20)}`).toString('base64');
      return t(`{"auths": {"registry.example.com": {"auth": "${a}"}}} (written to ~/.docker/config.json)`, [
        a,
      ]);
    },
  ],
];

/** printenv output: ~20 lines, some secrets, most ordinary. */
function envDump(f: Fake, variant: number): Text {
  const p = f.password(18);
  const tok = `ghp_${f.alnum(36)}`;
  const aws = f.b64(40);
  const sess = f.hex(64);
  const dsnKey = f.hex(32);
  const lines = [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'HOME=/root',
    'PWD=/srv/app',
    'HOSTNAME=api-7d9f8b6c4-x2x9z',
    'NODE_VERSION=20.11.1',
    'YARN_VERSION=1.22.19',
    'LANG=C.UTF-8',
    'TZ=UTC',
    'KUBERNETES_SERVICE_HOST=10.96.0.1',
    'KUBERNETES_SERVICE_PORT=443',
    `DB_PASSWORD=${p}`,
    'DB_HOST=postgres.data.svc.cluster.local',
    `GITHUB_TOKEN=${tok}`,
    `AWS_SECRET_ACCESS_KEY=${aws}`,
    'AWS_REGION=eu-central-1',
    `SESSION_SECRET=${sess}`,
    `SENTRY_DSN=https://${dsnKey}@o450123.ingest.sentry.io/5501234`,
    'LOG_LEVEL=info',
    'MAX_TOKENS=1024',
    'SHLVL=1',
    '_=/usr/bin/printenv',
  ];
  const keep = [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'PWD=/srv/app',
    'HOSTNAME=api-7d9f8b6c4-x2x9z',
    'NODE_VERSION=20.11.1',
    'MAX_TOKENS=1024',
  ];
  const sep = variant === 1 ? '\r\n' : '\n';
  const text =
    variant === 2 ? lines.map((l) => `declare -x ${l.replace('=', '="')}"`).join(sep) : lines.join(sep);
  return {
    text,
    secrets: [p, tok, aws, sess, dsnKey],
    keep: variant === 2 ? ['/srv/app', 'api-7d9f8b6c4-x2x9z'] : keep,
  };
}

export function textCases(): SecretCase[] {
  const env: SecretCase[] = [0, 1, 2].flatMap((variant) =>
    (['details', 'error.message', 'json-string'] as const).map((place) => {
      const label = `env-dump: printenv variant ${variant} in ${place}`;
      const { text, secrets, keep } = envDump(new Fake(label), variant);
      return {
        name: label,
        category: 'env-dump' as const,
        secrets,
        keep: keep ?? [],
        event: textEvent(label, variant, text, place),
      };
    }),
  );
  return [
    ...casesOf('free-text', FREE_TEXT, 0),
    ...casesOf('cli', CLI, 1),
    ...casesOf('config', CONFIG, 2),
    ...env,
  ];
}
