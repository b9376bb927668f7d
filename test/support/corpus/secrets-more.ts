import {
  casesOf,
  detailsEvent,
  Fake,
  pemBody,
  type SecretCase,
  type SecretCategory,
  type Template,
  t,
  textEvent,
  token,
} from './build.ts';

/**
 * Secrets in the shapes real systems emit beyond plain key/value: argv arrays, Node's flat
 * rawHeaders, HAR cookies, `docker inspect` Env lists, GraphQL variables, form bodies, JWKs,
 * SQL statements, shell and PowerShell lines, Dockerfiles, diffs seen by review bots, signed
 * URLs, more config formats and more provider token formats.
 */

type Structured = readonly [name: string, make: (f: Fake) => { details: unknown; secrets: string[] }];

const STRUCTURED: readonly Structured[] = [
  [
    'argv array with --password and value',
    (f) => {
      const p = f.password(16);
      return {
        details: { process: { argv: ['pg_dump', '--host', 'db', '--password', p, 'orders'] } },
        secrets: [p],
      };
    },
  ],
  [
    'argv array with -pvalue glued',
    (f) => {
      const p = f.alnum(16);
      return {
        details: { exec: { command: ['mysql', '-uroot', `-p${p}`, '-e', 'show databases'] } },
        secrets: [p],
      };
    },
  ],
  [
    'argv array with --token=value',
    (f) => {
      const tok = f.alnum(40);
      return {
        details: { container: { args: ['--listen=:8080', `--token=${tok}`, '--verbose'] } },
        secrets: [tok],
      };
    },
  ],
  [
    'Node rawHeaders flat array',
    (f) => {
      const tok = f.b64url(48);
      return {
        details: {
          rawHeaders: ['Host', 'api.example.com', 'Authorization', `Bearer ${tok}`, 'Accept', '*/*'],
        },
        secrets: [tok],
      };
    },
  ],
  [
    'HAR cookies array',
    (f) => {
      const sid = f.hex(40);
      return {
        details: {
          request: {
            cookies: [
              { name: 'sessionid', value: sid, httpOnly: true },
              { name: 'theme', value: 'dark' },
            ],
          },
        },
        secrets: [sid],
      };
    },
  ],
  [
    'HAR Set-Cookie response headers',
    (f) => {
      const a = f.b64url(43);
      const b = f.b64url(43);
      return {
        details: {
          response: {
            headers: [
              { name: 'set-cookie', value: `sid=${a}; Path=/; HttpOnly` },
              { name: 'Set-Cookie', value: `refresh=${b}; Path=/auth; Secure` },
            ],
          },
        },
        secrets: [a, b],
      };
    },
  ],
  [
    'docker inspect Env list of KEY=VALUE',
    (f) => {
      const p = f.password(18);
      const tok = f.alnum(40);
      return {
        details: {
          Config: {
            Env: [
              'PATH=/usr/local/bin:/usr/bin:/bin',
              `DB_PASSWORD=${p}`,
              `API_TOKEN=${tok}`,
              'NODE_ENV=production',
            ],
          },
        },
        secrets: [p, tok],
      };
    },
  ],
  [
    'GraphQL variables',
    (f) => {
      const p = f.password(16);
      return {
        details: {
          graphql: {
            query:
              'mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { id } }',
            variables: { email: 'ada@example.com', password: p },
          },
        },
        secrets: [p],
      };
    },
  ],
  [
    'form-urlencoded body string',
    (f) => {
      const p = f.password(14).replace(/[#%&+]/g, 'k');
      const s = f.alnum(32);
      return {
        details: { body: `grant_type=password&username=ada&password=${p}&client_id=web&client_secret=${s}` },
        secrets: [p, s],
      };
    },
  ],
  [
    'JWK private key (RSA d, p, q)',
    (f) => {
      const d = f.b64url(342);
      const p = f.b64url(171);
      const q = f.b64url(171);
      return {
        details: {
          jwks: { keys: [{ kty: 'RSA', kid: '2026-11', use: 'sig', n: f.b64url(342), e: 'AQAB', d, p, q }] },
        },
        secrets: [d, p, q],
      };
    },
  ],
  [
    'Postman params key/value list',
    (f) => {
      const k = f.hex(32);
      return {
        details: {
          request: {
            url: {
              query: [
                { key: 'page', value: '2' },
                { key: 'api_key', value: k },
              ],
            },
          },
        },
        secrets: [k],
      };
    },
  ],
  [
    'Kubernetes Secret data (base64 values) as object',
    (f) => {
      const b = Buffer.from(f.password(20)).toString('base64');
      const tls = Buffer.from(
        `-----BEGIN PRIVATE KEY-----\n${pemBody(f, 4)}\n-----END PRIVATE KEY-----\n`,
      ).toString('base64');
      return {
        details: {
          object: { kind: 'Secret', metadata: { name: 'orders' }, data: { password: b, 'tls.key': tls } },
        },
        secrets: [b, tls],
      };
    },
  ],
  [
    'Helm values with nested auth block',
    (f) => {
      const p = f.alnum(24);
      return {
        details: { values: { postgresql: { auth: { username: 'app', password: p, database: 'app' } } } },
        secrets: [p],
      };
    },
  ],
  [
    'Terraform state attribute',
    (f) => {
      const p = f.password(20);
      return {
        details: {
          resources: [
            {
              type: 'aws_db_instance',
              instances: [{ attributes: { engine: 'postgres', password: p, port: 5432 } }],
            },
          ],
        },
        secrets: [p],
      };
    },
  ],
  [
    'GitHub Actions secrets context dump',
    (f) => {
      const tok = `ghs_${f.alnum(36)}`;
      const npm = `npm_${f.alnum(36)}`;
      return { details: { secrets: { github_token: tok, NPM_TOKEN: npm } }, secrets: [tok, npm] };
    },
  ],
];

const TEXT: readonly (readonly [SecretCategory, Template])[] = [
  [
    'free-text',
    [
      'logfmt quoted password with spaces',
      (f) => {
        const p = `${f.alnum(6)} ${f.alnum(6)}`;
        return t(`level=info msg="user login" user=ada password="${p}" dur=12ms`, [p]);
      },
    ],
  ],
  [
    'free-text',
    [
      'JSON log line after a prefix',
      (f) => {
        const p = f.password(16);
        return t(`[orders-api] 10:02:11 {"level":"debug","msg":"db connect","password":"${p}","host":"db"}`, [
          p,
        ]);
      },
    ],
  ],
  [
    'free-text',
    [
      'Ruby hash rocket',
      (f) => {
        const p = f.password(14);
        return t(`Parameters: {"user"=>{"email"=>"ada@example.com", "password"=>"${p}"}}`, [p]);
      },
    ],
  ],
  [
    'free-text',
    [
      'PHP array',
      (f) => {
        const p = f.password(14);
        return t(`'mysql' => ['host' => 'db', 'username' => 'app', 'password' => '${p}'],`, [p]);
      },
    ],
  ],
  [
    'free-text',
    [
      'Java toString',
      (f) => {
        const p = f.password(16);
        return t(
          `DataSourceConfig(url=jdbc:postgresql://db:5432/app, username=app, password=${p}, poolSize=10)`,
          [p],
        );
      },
    ],
  ],
  [
    'free-text',
    [
      'Go struct print',
      (f) => {
        const p = f.alnum(18);
        return t(`config: &{Host:db Port:5432 User:app Password:${p} SSLMode:require}`, [p]);
      },
    ],
  ],
  [
    'free-text',
    [
      'SQL CREATE USER WITH PASSWORD',
      (f) => {
        const p = f.password(16);
        return t(`CREATE USER reporting WITH PASSWORD '${p}';`, [p]);
      },
    ],
  ],
  [
    'free-text',
    [
      'SQL ALTER USER IDENTIFIED BY',
      (f) => {
        const p = f.password(16);
        return t(`ALTER USER 'root'@'%' IDENTIFIED BY '${p}';`, [p]);
      },
    ],
  ],
  [
    'free-text',
    [
      'otpauth URL secret',
      (f) => {
        const s = f.pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 32);
        return t(`enrol with otpauth://totp/ACME:ada?secret=${s}&issuer=ACME&digits=6`, [s]);
      },
    ],
  ],
  [
    'free-text',
    [
      'S3 presigned URL',
      (f) => {
        const sig = f.hex(64);
        const st = `IQoJb3JpZ2luX2VjE${f.b64(200).replace(/[+/]/g, 'x')}`;
        return t(
          `https://acme-exports.s3.eu-west-1.amazonaws.com/report.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA${f.pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}%2F20261201%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20261201T100000Z&X-Amz-Expires=3600&X-Amz-Security-Token=${st}&X-Amz-Signature=${sig}`,
          [sig, st],
        );
      },
    ],
  ],
  [
    'free-text',
    [
      'GCS signed URL',
      (f) => {
        const sig = f.hex(512);
        return t(
          `https://storage.googleapis.com/acme-exports/a.csv?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40acme.iam.gserviceaccount.com%2F20261201%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20261201T100000Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=${sig}`,
          [sig],
        );
      },
    ],
  ],
  [
    'free-text',
    [
      'Azure Function key in query',
      (f) => {
        const code = `${f.b64url(54)}==`;
        return t(`POST https://orders-fn.azurewebsites.net/api/ingest?code=${code} returned 500`, [code]);
      },
    ],
  ],
  [
    'free-text',
    [
      'review-bot diff adding a secret',
      (f) => {
        const p = f.password(18);
        const k = `sk_live_51${f.alnum(60)}`;
        return t(`@@ -1,3 +1,5 @@\n PORT=8080\n+DB_PASSWORD=${p}\n+STRIPE_KEY=${k}\n LOG_LEVEL=info\n`, [
          p,
          k,
        ]);
      },
    ],
  ],
  [
    'free-text',
    [
      'source code constant',
      (f) => {
        const k = f.alnum(40);
        return t(`+const API_KEY = "${k}";\n+fetch(url, { headers: { 'x-api-key': API_KEY } });`, [k]);
      },
    ],
  ],
  [
    'free-text',
    [
      'Kafka sasl.jaas.config',
      (f) => {
        const p = f.alnum(24);
        return t(
          `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="orders" password="${p}";`,
          [p],
        );
      },
    ],
  ],
  [
    'cli',
    [
      'redis-cli -a',
      (f) => {
        const p = f.alnum(24);
        return t(`redis-cli -h redis-master -a ${p} --no-auth-warning ping`, [p]);
      },
    ],
  ],
  [
    'cli',
    [
      'sqlcmd -P',
      (f) => {
        const p = f.password(16);
        return t(`sqlcmd -S sql01 -U sa -P ${p} -Q "SELECT @@VERSION"`, [p]);
      },
    ],
  ],
  [
    'cli',
    [
      'mongosh -p',
      (f) => {
        const p = f.alnum(20);
        return t(`mongosh --host mongo-0 -u admin -p ${p} --authenticationDatabase admin`, [p]);
      },
    ],
  ],
  [
    'cli',
    [
      'wget --http-password',
      (f) => {
        const p = f.alnum(18);
        return t(`wget --http-user=ci --http-password=${p} https://artifacts.internal/app.tar.gz`, [p]);
      },
    ],
  ],
  [
    'cli',
    [
      'aws configure set',
      (f) => {
        const s = f.b64(40);
        return t(`aws configure set aws_secret_access_key ${s} --profile prod`, [s]);
      },
    ],
  ],
  [
    'cli',
    [
      'az --account-key',
      (f) => {
        const k = f.base64Bytes(64);
        return t(`az storage blob upload --account-name acmeprod --account-key ${k} -c backups -f db.bak`, [
          k,
        ]);
      },
    ],
  ],
  [
    'cli',
    [
      'echo secret | docker login --password-stdin',
      (f) => {
        const p = `glpat-${f.b64url(20)}`;
        return t(`echo '${p}' | docker login -u ci --password-stdin registry.gitlab.com`, [p]);
      },
    ],
  ],
  [
    'cli',
    [
      'keytool -storepass -keypass',
      (f) => {
        const a = f.alnum(16);
        const b = f.alnum(16);
        return t(
          `keytool -importkeystore -srckeystore a.p12 -storepass ${a} -keypass ${b} -destkeystore app.jks`,
          [a, b],
        );
      },
    ],
  ],
  [
    'cli',
    [
      'ldapsearch -w',
      (f) => {
        const p = f.password(14);
        return t(
          `ldapsearch -x -H ldaps://ldap.internal -D "cn=admin,dc=acme,dc=io" -w ${p} -b "dc=acme,dc=io"`,
          [p],
        );
      },
    ],
  ],
  [
    'cli',
    [
      'smbclient -U user%pass',
      (f) => {
        const p = f.alnum(14);
        return t(`smbclient //fs01/share -U backup%${p} -c 'ls'`, [p]);
      },
    ],
  ],
  [
    'cli',
    [
      'xfreerdp /p:',
      (f) => {
        const p = f.alnum(14);
        return t(`xfreerdp /v:10.0.0.20 /u:Administrator /p:${p} /cert:ignore`, [p]);
      },
    ],
  ],
  [
    'cli',
    [
      'PowerShell ConvertTo-SecureString',
      (f) => {
        const p = f.password(16);
        return t(`$pw = ConvertTo-SecureString "${p}" -AsPlainText -Force`, [p]);
      },
    ],
  ],
  [
    'cli',
    [
      'PowerShell $env: assignment',
      (f) => {
        const k = f.alnum(40);
        return t(`$env:API_KEY = "${k}"; ./deploy.ps1 -Environment prod`, [k]);
      },
    ],
  ],
  [
    'cli',
    [
      'Windows set PASSWORD=',
      (f) => {
        const p = f.password(14);
        return t(`C:\\deploy> set DB_PASSWORD=${p}\r\nC:\\deploy> migrate.exe`, [p]);
      },
    ],
  ],
  [
    'cli',
    [
      'java -D system property',
      (f) => {
        const p = f.alnum(20);
        return t(`java -Dspring.datasource.password=${p} -Xmx512m -jar app.jar`, [p]);
      },
    ],
  ],
  [
    'cli',
    [
      'htpasswd -b',
      (f) => {
        const p = f.alnum(16);
        return t(`htpasswd -b -c /etc/nginx/.htpasswd admin ${p}`, [p]);
      },
    ],
  ],
  [
    'config',
    [
      'Dockerfile ENV and ARG',
      (f) => {
        const k = f.alnum(40);
        const tok = `npm_${f.alnum(36)}`;
        return t(`FROM node:20\nARG NPM_TOKEN=${tok}\nENV API_KEY=${k}\nRUN npm ci\n`, [k, tok]);
      },
    ],
  ],
  [
    'config',
    [
      'wp-config define',
      (f) => {
        const p = f.password(18);
        return t(`define( 'DB_PASSWORD', '${p}' );\ndefine( 'DB_HOST', 'localhost' );`, [p]);
      },
    ],
  ],
  [
    'config',
    [
      'Django SECRET_KEY',
      (f) => {
        const k = `django-insecure-${f.alnum(50)}`;
        return t(`SECRET_KEY = '${k}'\nDEBUG = False`, [k]);
      },
    ],
  ],
  [
    'config',
    [
      '.pgpass line',
      (f) => {
        const p = f.alnum(20);
        return t(`db.internal:5432:orders:orders_app:${p}`, [p]);
      },
    ],
  ],
  [
    'config',
    [
      'kubeconfig user token',
      (f) => {
        const tok = f.b64url(60);
        return t(`users:\n- name: ci\n  user:\n    token: ${tok}\n`, [tok]);
      },
    ],
  ],
  [
    'config',
    [
      'kubeconfig client-key-data',
      (f) => {
        const b = Buffer.from(
          `-----BEGIN RSA PRIVATE KEY-----\n${pemBody(f, 3)}\n-----END RSA PRIVATE KEY-----\n`,
        ).toString('base64');
        // The base64 of the armour line is public (certificates share it): the key material follows.
        return t(
          `users:\n- name: admin\n  user:\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t\n    client-key-data: ${b}\n`,
          [b.slice(48)],
        );
      },
    ],
  ],
  [
    'config',
    [
      '.gitconfig extraheader (actions/checkout)',
      (f) => {
        const b = Buffer.from(`x-access-token:ghs_${f.alnum(36)}`).toString('base64');
        return t(`[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic ${b}\n`, [b]);
      },
    ],
  ],
  [
    'config',
    [
      'tomcat-users.xml password attribute',
      (f) => {
        const p = f.password(14);
        return t(`<user username="admin" password="${p}" roles="manager-gui"/>`, [p]);
      },
    ],
  ],
  [
    'config',
    [
      'web.config connectionString attribute',
      (f) => {
        const p = f.password(16);
        return t(
          `<add name="Default" connectionString="Data Source=sql01;Initial Catalog=crm;User Id=crm;Password=${p};" providerName="System.Data.SqlClient" />`,
          [p],
        );
      },
    ],
  ],
  [
    'config',
    [
      'HOCON application.conf',
      (f) => {
        const p = f.alnum(18);
        return t(`db {\n  url = "jdbc:postgresql://db/app"\n  password = "${p}"\n}`, [p]);
      },
    ],
  ],
  [
    'config',
    [
      'wpa_supplicant psk',
      (f) => {
        const p = f.alnum(20);
        return t(`network={\n  ssid="acme-office"\n  psk="${p}"\n}`, [p]);
      },
    ],
  ],
  [
    'config',
    [
      'rclone.conf',
      (f) => {
        const p = f.b64url(40);
        return t(
          `[s3-backup]\ntype = s3\naccess_key_id = AKIA${f.pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}\nsecret_access_key = ${p}\n`,
          [p],
        );
      },
    ],
  ],
  [
    'config',
    [
      'nginx proxy_set_header Authorization',
      (f) => {
        const b = Buffer.from(`upstream:${f.alnum(16)}`).toString('base64');
        return t(`location /api/ {\n  proxy_set_header Authorization "Basic ${b}";\n}`, [b]);
      },
    ],
  ],
  [
    'config',
    [
      'YAML block scalar private key',
      (f) => {
        const body = pemBody(f, 5, 'MIIEowIBAAKCAQEA');
        const indented = body
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n');
        return t(
          `deploy:\n  ssh_key: |\n    -----BEGIN RSA PRIVATE KEY-----\n${indented}\n    -----END RSA PRIVATE KEY-----\n`,
          body.split('\n'),
        );
      },
    ],
  ],
  [
    'config',
    [
      'GitLab CI variables block',
      (f) => {
        const tok = `glpat-${f.b64url(20)}`;
        return t(`variables:\n  DOCKER_DRIVER: overlay2\n  DEPLOY_TOKEN: "${tok}"\n`, [tok]);
      },
    ],
  ],
  [
    'env-dump',
    [
      'kubectl describe pod Environment',
      (f) => {
        const p = f.password(18);
        const k = f.alnum(40);
        return t(
          `    Environment:\n      LOG_LEVEL:     info\n      DB_PASSWORD:   ${p}\n      STRIPE_KEY:    ${k}\n      PORT:          8080\n    Mounts:\n      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-x2x9z (ro)`,
          [p, k],
          ['/var/run/secrets/kubernetes.io/serviceaccount'],
        );
      },
    ],
  ],
  [
    'env-dump',
    [
      'GitLab CI job env',
      (f) => {
        const job = `glcbt-${f.b64url(20)}`;
        const reg = f.alnum(20);
        return t(
          `CI_PROJECT_PATH=acme/infra\nCI_COMMIT_SHA=3f786850e387550fdab836ed7e6dc881de23001b\nCI_JOB_TOKEN=${job}\nCI_REGISTRY_USER=gitlab-ci-token\nCI_REGISTRY_PASSWORD=${reg}\nCI_PIPELINE_ID=884213\n`,
          [job, reg],
          ['3f786850e387550fdab836ed7e6dc881de23001b', 'CI_PIPELINE_ID=884213'],
        );
      },
    ],
  ],
];

const PROVIDERS: readonly Template[] = [
  token(
    'Okta SSWS header',
    (f) => `00${f.b64url(40)}`,
    (v) => `okta: Authorization: SSWS ${v}`,
  ),
  token(
    'Cloudflare API token with keyword',
    (f) => f.b64url(40),
    (v) => `cloudflare_api_token: ${v}`,
  ),
  token(
    'Cloudflare origin CA key',
    (f) => `v1.0-${f.hex(24)}-${f.hex(146)}`,
    (v) => `origin ca key ${v}`,
  ),
  token(
    'Square access token',
    (f) => `EAAA${f.b64url(60)}`,
    (v) => `square client with ${v}`,
  ),
  token(
    'Shopify shpss_ shared secret',
    (f) => `shpss_${f.hex(32)}`,
    (v) => `app secret ${v}`,
  ),
  token(
    'Notion ntn_',
    (f) => `ntn_${f.digits(11)}${f.alnum(35)}`,
    (v) => `notion integration ${v}`,
  ),
  token(
    'Airtable pat',
    (f) => `pat${f.alnum(14)}.${f.hex(64)}`,
    (v) => `airtable base sync with ${v}`,
  ),
  token(
    'New Relic NRAK-',
    (f) => `NRAK-${f.upper(27)}`,
    (v) => `newrelic api key: ${v}`,
  ),
  token(
    'PlanetScale pscale_pw_',
    (f) => `pscale_pw_${f.b64url(43)}`,
    (v) => `mysql -h aws.connect.psdb.cloud -u app -p${v}`,
  ),
  token(
    'Databricks dapi',
    (f) => `dapi${f.hex(32)}`,
    (v) => `databricks workspace ls --token ${v}`,
  ),
  token(
    'Pulumi pul-',
    (f) => `pul-${f.hex(40)}`,
    (v) => `pulumi login with ${v}`,
  ),
  token(
    'Fly.io fo1_',
    (f) => `fo1_${f.b64url(43)}`,
    (v) => `flyctl deploy -t ${v}`,
  ),
  token(
    'Artifactory AKCp',
    (f) => `AKCp${f.alnum(69)}`,
    (v) => `jfrog rt ping --apikey ${v}`,
  ),
  token(
    'Perplexity pplx-',
    (f) => `pplx-${f.alnum(48)}`,
    (v) => `search agent uses ${v}`,
  ),
  token(
    'Dynatrace dt0c01.',
    (f) => `dt0c01.${f.upper(24)}.${f.upper(64)}`,
    (v) => `dynatrace ingest with ${v}`,
  ),
  token(
    'Infracost ico-',
    (f) => `ico-${f.alnum(32)}`,
    (v) => `infracost breakdown with ${v}`,
  ),
  token(
    'Docker Hub dckr_pat_',
    (f) => `dckr_pat_${f.b64url(27)}`,
    (v) => `docker login -u acme --password-stdin <<< ${v}`,
  ),
  token(
    'Groq gsk_',
    (f) => `gsk_${f.alnum(52)}`,
    (v) => `LLM fallback provider configured with ${v}`,
  ),
  token(
    'Tailscale tskey-auth-',
    (f) => `tskey-auth-${f.alnum(12)}CNTRL-${f.alnum(33)}`,
    (v) => `tailscale up --authkey=${v}`,
  ),
  token(
    'Supabase sbp_',
    (f) => `sbp_${f.hex(40)}`,
    (v) => `supabase link with ${v}`,
  ),
  token(
    'Mapbox secret sk.',
    (f) => `sk.eyJ1IjoiYWNtZSIsImEiOiJ${f.alnum(20)}.${f.b64url(22)}`,
    (v) => `mapbox upload using ${v}`,
  ),
  token(
    'Firebase FCM server key',
    (f) => `AAAA${f.b64url(7)}:APA91b${f.b64url(134)}`,
    (v) => `fcm send with key=${v}`,
  ),
  token(
    'Azure DevOps PAT',
    (f) => f.pick('abcdefghijklmnopqrstuvwxyz234567', 52),
    (v) => `az devops login with PAT ${v}`,
  ),
  token(
    'Google refresh token 1//',
    (f) => `1//0${f.b64url(100)}`,
    (v) => `stored google refresh ${v}`,
  ),
  [
    'Kubernetes service-account JWT',
    (f) => {
      const h = Buffer.from(JSON.stringify({ alg: 'RS256', kid: f.b64url(43) })).toString('base64url');
      const p = Buffer.from(
        JSON.stringify({ iss: 'kubernetes/serviceaccount', sub: 'system:serviceaccount:prod:deployer' }),
      ).toString('base64url');
      const v = `${h}.${p}.${f.b64url(342)}`;
      return t(`kubectl --token=${v} get pods`, [v]);
    },
  ],
  token(
    '1Password service account ops_',
    (f) => `ops_eyJ${f.b64url(200)}`,
    (v) => `op inject with ${v}`,
  ),
  token(
    'Microsoft Teams webhook',
    (f) => `${f.uuid()}@${f.uuid()}/IncomingWebhook/${f.hex(32)}/${f.uuid()}`,
    (v) => `notify https://acme.webhook.office.com/webhookb2/${v} failed`,
  ),
  token(
    'Discord webhook URL',
    (f) => f.b64url(68),
    (v) => `post https://discord.com/api/webhooks/1234567890123456789/${v}`,
  ),
  token(
    'Twilio webhook signature',
    (f) => f.base64Bytes(20),
    (v) => `X-Twilio-Signature: ${v}`,
  ),
  token(
    'Shopify HMAC header',
    (f) => f.base64Bytes(32),
    (v) => `X-Shopify-Hmac-Sha256: ${v}`,
  ),
  token(
    'Svix webhook signature',
    (f) => f.base64Bytes(32),
    (v) => `svix-id: msg_2Lq\nsvix-signature: v1,${v}`,
  ),
  token(
    'Svix whsec signing secret',
    (f) => `whsec_${f.base64Bytes(24)}`,
    (v) => `webhook endpoint secret ${v}`,
  ),
];

/** A provider token in each event field that is not free text: every string is scanned. */
function fieldCases(): SecretCase[] {
  const places: readonly (readonly [string, (v: string, e: SecretCase['event']) => SecretCase['event']])[] = [
    [
      'target.name',
      (v, e) => ({
        ...e,
        target: { type: 'webhook', id: 'wh-12', name: `https://hooks.slack.com/services/${v}` },
      }),
    ],
    ['target.id', (v, e) => ({ ...e, target: { type: 'api_key', id: v, name: 'ci' } })],
    [
      'actor.user_agent',
      (v, e) => ({ ...e, actor: { ...e.actor, user_agent: `gitlab-runner 17.4.2 (token ${v})` } }),
    ],
    ['authorization.scopes', (v, e) => ({ ...e, authorization: { method: 'token', scopes: ['api', v] } })],
    ['authorization.method', (v, e) => ({ ...e, authorization: { method: v, scopes: [] } })],
    [
      'error.code',
      (v, e) => ({ ...e, outcome: 'failure', error: { class: 'auth_failure', code: v, message: 'denied' } }),
    ],
    ['correlation_id', (v, e) => ({ ...e, correlation_id: `deploy:${v}` })],
    ['service.instance', (v, e) => ({ ...e, service: { ...e.service, instance: `runner@${v}` } })],
    ['category', (v, e) => ({ ...e, category: v })],
    ['a key of details', (v, e) => ({ ...e, details: { tokens: { [v]: { scopes: ['repo'] } } } })],
    [
      'a key of target.attributes',
      (v, e) => ({ ...e, target: { type: 'repo', id: 'acme/api', attributes: { [v]: 'seen' } } }),
    ],
    [
      'changes[].field',
      (v, e) => ({ ...e, changes: [{ field: `tokens.${v}.enabled`, before: false, after: true }] }),
    ],
  ];
  return places.map(([where, place], i) => {
    const label = `provider-token: GitHub token in ${where}`;
    const f = new Fake(label);
    const v =
      where === 'target.name' ? `T${f.upper(8)}/B${f.upper(10)}/${f.alnum(24)}` : `ghp_${f.alnum(36)}`;
    return {
      name: label,
      category: 'provider-token',
      secrets: [v],
      event: place(v, detailsEvent(label, i, { step: 'x' })),
    };
  });
}

/** Connection URLs and strings of more schemes and dialects. */
const CONNECTIONS: readonly Template[] = [
  token(
    'proxy URL in an env var',
    (f) => f.alnum(16),
    (v) => `HTTPS_PROXY=http://svc-proxy:${v}@proxy.internal:3128`,
  ),
  token(
    'rediss URL with default user',
    (f) => f.alnum(32),
    (v) => `cache: rediss://default:${v}@cache-prod.abc123.euw1.cache.amazonaws.com:6379`,
  ),
  token(
    'SMTP URL',
    (f) => f.alnum(20),
    (v) => `mailer transport smtp://apikey:${v}@smtp.sendgrid.net:587 refused`,
  ),
  token(
    'FTP URL',
    (f) => f.alnum(14),
    (v) => `upload to ftp://backup:${v}@ftp.example.com/incoming/ failed`,
  ),
  token(
    'token-only user-info',
    (f) => f.hex(40),
    (v) => `git fetch https://${v}@git.example.com/acme/api.git`,
  ),
  token(
    'JDBC SQL Server semicolon parameters',
    (f) => f.password(16),
    (v) => `jdbc:sqlserver://sql01:1433;databaseName=crm;user=sa;password=${v};encrypt=true`,
  ),
  token(
    'ODBC PWD in braces',
    (f) => f.password(16),
    (v) => `DRIVER={ODBC Driver 18 for SQL Server};SERVER=sql01;UID=crm;PWD={${v}};`,
  ),
  token(
    'MongoDB replica-set URL',
    (f) => f.alnum(20),
    (v) => `mongodb://app:${v}@mongo-0:27017,mongo-1:27017/app?replicaSet=rs0&authSource=admin`,
  ),
];

/** Variants of the same classes in other tools and dialects: the rule must hold for the class. */
const VARIANTS: readonly Template[] = [
  token(
    'mysqladmin -pvalue',
    (f) => f.alnum(16),
    (v) => `mysqladmin -uroot -p${v} status`,
  ),
  token(
    'mongodump --password value',
    (f) => f.alnum(18),
    (v) => `mongodump --uri mongodb://mongo-0:27017 --username backup --password ${v} --out /backup`,
  ),
  token(
    'redis-cli --pass',
    (f) => f.alnum(24),
    (v) => `redis-cli --pass ${v} -h redis-master info`,
  ),
  token(
    'sqlcmd -P quoted',
    (f) => f.password(16),
    (v) => `sqlcmd -S sql02 -U sa -P "${v}" -i migrate.sql`,
  ),
  token(
    'ldapmodify -w',
    (f) => f.password(14),
    (v) => `ldapmodify -H ldap://ldap -D cn=admin,dc=acme -w ${v} -f users.ldif`,
  ),
  token(
    "curl --user 'user:pass' quoted",
    (f) => f.alnum(18),
    (v) => `curl --user 'ci-bot:${v}' https://registry.internal/v2/_catalog`,
  ),
  token(
    'sshpass -pvalue glued',
    (f) => f.alnum(14),
    (v) => `sshpass -p${v} scp app.tar.gz deploy@10.0.4.22:/srv`,
  ),
  token(
    'rsync with RSYNC_PASSWORD',
    (f) => f.alnum(16),
    (v) => `RSYNC_PASSWORD=${v} rsync -av /data backup@nas::backups`,
  ),
  token(
    'net use with password',
    (f) => f.password(14),
    (v) => `net use \\\\fs01\\share ${v} /user:ACME\\backup`,
  ),
  token(
    'Postgres CREATE ROLE LOGIN PASSWORD',
    (f) => f.password(16),
    (v) => `CREATE ROLE analytics LOGIN PASSWORD '${v}' VALID UNTIL '2027-01-01';`,
  ),
  token(
    'Postgres ALTER ROLE ENCRYPTED PASSWORD',
    (f) => f.password(16),
    (v) => `ALTER ROLE app WITH ENCRYPTED PASSWORD '${v}';`,
  ),
  token(
    'MySQL SET PASSWORD FOR',
    (f) => f.password(16),
    (v) => `SET PASSWORD FOR 'app'@'%' = '${v}';`,
  ),
  token(
    'SQL Server CREATE LOGIN',
    (f) => f.password(16),
    (v) => `CREATE LOGIN reporting WITH PASSWORD = '${v}', CHECK_POLICY = ON;`,
  ),
  token(
    'Oracle IDENTIFIED BY unquoted',
    (f) => f.alnum(14),
    (v) => `ALTER USER scott IDENTIFIED BY ${v} ACCOUNT UNLOCK;`,
  ),
  token(
    '.netrc with default machine',
    (f) => f.alnum(20),
    (v) => `default login anonymous password ${v}`,
  ),
  token(
    'htpasswd -bB',
    (f) => f.alnum(16),
    (v) => `htpasswd -bB /etc/registry/htpasswd ci ${v}`,
  ),
];

/** Authorization schemes beyond Basic/Bearer, as proxies and clients log them. */
const AUTH_SCHEMES: readonly Template[] = [
  [
    'AWS SigV4 Authorization header',
    (f) => {
      const sig = f.hex(64);
      return t(
        `Authorization: AWS4-HMAC-SHA256 Credential=AKIA${f.pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}/20261201/eu-west-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${sig}`,
        [sig],
      );
    },
  ],
  token(
    'Elasticsearch ApiKey scheme',
    (f) => f.base64Bytes(45),
    (v) => `POST /_bulk 401 with Authorization: ApiKey ${v}`,
  ),
  token(
    'Splunk HEC scheme',
    (f) => f.uuid(),
    (v) => `curl -k https://splunk:8088/services/collector -H "Authorization: Splunk ${v}"`,
  ),
  token(
    'Opsgenie GenieKey scheme',
    (f) => f.uuid(),
    (v) => `Authorization: GenieKey ${v}`,
  ),
  token(
    'Negotiate (Kerberos) scheme',
    (f) => `YII${f.b64(120)}`,
    (v) => `Authorization: Negotiate ${v}`,
  ),
  token(
    'NTLM scheme',
    (f) => `TlRMTVNTUAAD${f.b64(100)}`,
    (v) => `Authorization: NTLM ${v}`,
  ),
  token(
    'Discord Bot scheme',
    (f) => `${f.b64url(26)}.${f.b64url(6)}.${f.b64url(38)}`,
    (v) => `Authorization: Bot ${v}`,
  ),
  token(
    'Cloudflare global API key header',
    (f) => f.hex(37),
    (v) => `X-Auth-Email: ops@example.com\nX-Auth-Key: ${v}`,
  ),
];

/** More private-key shapes: CRLF lines, inside XML, keystores, one-line env vars. */
const MORE_KEYS: readonly Template[] = [
  [
    'OPENSSH key with CRLF line endings',
    (f) => {
      const lines = [
        `b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ${f.b64(28)}`,
        f.b64(70),
        f.b64(70),
        f.b64(40),
      ];
      return t(
        `-----BEGIN OPENSSH PRIVATE KEY-----\r\n${lines.join('\r\n')}\r\n-----END OPENSSH PRIVATE KEY-----\r\n`,
        lines,
      );
    },
  ],
  [
    'PEM inside an XML element',
    (f) => {
      const b = pemBody(f, 4, 'MIIEowIBAAKCAQEA');
      return t(
        `<signing><key>-----BEGIN RSA PRIVATE KEY-----\n${b}\n-----END RSA PRIVATE KEY-----</key></signing>`,
        [b],
      );
    },
  ],
  [
    'PKCS#12 keystore as base64',
    (f) => {
      const b = `MIIKUQIBAzCCChcGCSqGSIb3DQEHAaCCCggEggoEMIIKADCCBLcGCSqGSIb3DQEHBqCCBKgwggSkAgEA${f.b64(400)}`;
      return t(`keystore.p12: ${b}`, [b]);
    },
  ],
  [
    'EC key in a one-line env var with literal \\n',
    (f) => {
      const a = f.b64(55);
      const b = f.b64(64);
      return t(
        `JWT_PRIVATE_KEY=-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEI${a}\\n${b}\\n-----END EC PRIVATE KEY-----`,
        [a, b],
      );
    },
  ],
];

/** Assignments in source code and tracebacks, and tokens in access-log request lines. */
const CODE: readonly Template[] = [
  token(
    'Python traceback local',
    (f) => f.password(16),
    (v) => `  File "/srv/app/db.py", line 12, in connect\n    password = '${v}'\nOperationalError: timeout`,
  ),
  token(
    'JavaScript let assignment',
    (f) => f.alnum(24),
    (v) => `+  let dbPassword = '${v}';`,
  ),
  token(
    'Go constant',
    (f) => f.alnum(40),
    (v) => `+const apiToken = "${v}"`,
  ),
  token(
    'nginx access log with token in query',
    (f) => f.b64url(32),
    (v) =>
      `10.0.0.5 - - [01/Dec/2026:10:02:11 +0000] "GET /download?file=report.csv&token=${v} HTTP/1.1" 200 5123`,
  ),
  token(
    'Stripe sk_test_ key',
    (f) => `sk_test_51${f.alnum(97)}`,
    (v) => `test suite configured with ${v}`,
  ),
  token(
    'C# connection string in code',
    (f) => f.password(16),
    (v) => `var cs = "Server=sql01;Database=crm;User Id=crm;Password=${v};";`,
  ),
];

/** Second frames for classes already covered once: a rule must hold for the class, not the line. */
const SECOND_FRAMES: readonly Template[] = [
  token(
    'Telegram bot token in a file URL',
    (f) => `${f.number(9)}:AA${f.b64url(33)}`,
    (v) => `download https://api.telegram.org/file/bot${v}/photos/file_12.jpg failed`,
  ),
  token(
    'Discord token in client code',
    (f) => `${Buffer.from(`1${f.digits(17)}`).toString('base64url')}.${f.b64url(6)}.${f.b64url(38)}`,
    (v) => `client.run('${v}')`,
  ),
  token(
    'empty-user URL user-info amqps',
    (f) => f.alnum(28),
    (v) => `amqps://:${v}@mq.internal:5671/orders`,
  ),
  token(
    'token-only user-info Bitbucket',
    (f) => f.alnum(32),
    (v) => `git clone https://${v}@bitbucket.org/acme/infra.git`,
  ),
  token(
    'Supabase token after a flag',
    (f) => `sbp_${f.hex(40)}`,
    (v) => `supabase --access-token ${v} db push`,
  ),
  token(
    'Teams webhook in JSON text',
    (f) => `${f.uuid()}@${f.uuid()}/IncomingWebhook/${f.hex(32)}/${f.uuid()}`,
    (v) => `{"webhook": "https://acme.webhook.office.com/webhookb2/${v}"} (not JSON-parsed: trailing text)`,
  ),
];

/** Holdout variants of the last classes taught (htpasswd, .pgpass, net use, SQL, stdin passwords). */
const HOLDOUT: readonly Template[] = [
  token(
    'htpasswd -nbB to stdout',
    (f) => f.alnum(16),
    (v) => `htpasswd -nbB admin ${v} > /etc/traefik/users`,
  ),
  token(
    '.pgpass with wildcards',
    (f) => f.alnum(20),
    (v) => `*:*:*:postgres:${v}`,
  ),
  token(
    'net use with drive letter',
    (f) => f.alnum(14),
    (v) => `net use Z: \\\\fs02\\data ${v} /user:ACME\\svc /persistent:no`,
  ),
  token(
    'MySQL SET PASSWORD = PASSWORD()',
    (f) => f.alnum(16),
    (v) => `SET PASSWORD = PASSWORD('${v}');`,
  ),
  token(
    'SQL Server ALTER LOGIN',
    (f) => f.password(16),
    (v) => `ALTER LOGIN sa WITH PASSWORD = '${v}';`,
  ),
  token(
    'chpasswd from echo',
    (f) => f.alnum(16),
    (v) => `echo 'ada:${v}' | chpasswd`,
  ),
  token(
    'passwd --stdin',
    (f) => f.alnum(16),
    (v) => `echo '${v}' | passwd --stdin deploy`,
  ),
];

/** Text that carries a secret encoded once more: URL-encoded, JSON-escaped, base64. */
const ENCODED: readonly Template[] = [
  [
    'URL-encoded token inside a redirect parameter',
    (f) => {
      const tok = f.alnum(32);
      return t(
        `302 -> https://app.example.com/login?next=https%3A%2F%2Fapi.example.com%2Fcb%3Faccess_token%3D${tok}%26state%3Dxyz`,
        [tok],
      );
    },
  ],
  [
    'escaped JSON inside a log string',
    (f) => {
      const p = f.password(16);
      return t(`body="{\\"username\\":\\"ada\\",\\"password\\":\\"${p}\\"}" status=401`, [p]);
    },
  ],
  [
    'double-encoded JSON string value',
    (f) => {
      const k = f.alnum(40);
      return t(JSON.stringify(JSON.stringify({ config: { api_key: k } })), [k]);
    },
  ],
  [
    'German key word Passwort',
    (f) => {
      const p = f.password(14);
      return t(`Benutzer: admin, Passwort: ${p}`, [p]);
    },
  ],
  [
    'secret after a long ordinary log (near the truncation limit)',
    (f) => {
      const p = f.password(16);
      const filler = Array.from(
        { length: 18 },
        (_, n) =>
          `2026-12-01T10:02:${String(n).padStart(2, '0')}Z INFO request ok path=/api/v2/orders status=200`,
      ).join('\n');
      return t(`${filler}\nERROR connect failed password=${p}`, [p]);
    },
  ],
];

export function moreCases(): SecretCase[] {
  const structured = STRUCTURED.map(([name, make], i): SecretCase => {
    const label = `key-name: ${name}`;
    const { details, secrets } = make(new Fake(label));
    return { name: label, category: 'key-name', secrets, event: detailsEvent(label, i, details) };
  });
  const text = [...TEXT, ...PROVIDERS.map((p) => ['provider-token', p] as const)].map(
    ([category, [name, make]], i): SecretCase => {
      const label = `${category}: ${name}`;
      const { text: body, secrets, keep } = make(new Fake(label));
      const event = textEvent(label, i + 2, body);
      return keep
        ? { name: label, category, secrets, keep, event }
        : { name: label, category, secrets, event };
    },
  );
  const encoded = ENCODED.map(([name, make], i): SecretCase => {
    const label = `free-text: ${name}`;
    const { text: body, secrets } = make(new Fake(label));
    return { name: label, category: 'free-text', secrets, event: textEvent(label, i, body) };
  });
  return [
    ...structured,
    ...text,
    ...fieldCases(),
    ...encoded,
    ...casesOf('free-text', CONNECTIONS, 3),
    ...casesOf('cli', VARIANTS, 4),
    ...casesOf('http-auth', AUTH_SCHEMES, 5),
    ...casesOf('private-key', MORE_KEYS, 1),
    ...casesOf('free-text', CODE, 2),
    ...casesOf('provider-token', SECOND_FRAMES, 5),
    ...casesOf('cli', HOLDOUT, 1),
  ];
}
