import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCredentials } from '../credentials.ts';
import { buildGoModule } from '../install.ts';
import type { StackPaths } from '../paths.ts';
import { ES_EXPORTER_PORT } from './elasticsearch-exporter.ts';
import { KAFKA_METRICS_PORT } from './kafka.ts';
import { REGISTRY_MANAGEMENT_PORT } from './registry.ts';
import { S3_PORT } from './s3.ts';
import { type LocalServer, probe, type ServerDirs, serverDirs } from './server.ts';

/**
 * Prometheus and promtool, built from the Go module proxy like Docker Compose (`buildGoModule`):
 * the module's v0.316.0 is Prometheus 3.16.0 (its Go module versions are v0.<minor>.<patch>).
 * `remove_all_sd` leaves out the cloud service discoveries the local stack does not use, which
 * are most of the build.
 */
export const PROMETHEUS_MODULE = 'github.com/prometheus/prometheus';
export const PROMETHEUS_MODULE_VERSION = 'v0.316.0';
export const PROMETHEUS_VERSION = '3.16.0';
export const PROMETHEUS_PORT = 9090;
export const PROMETHEUS_URL = `http://127.0.0.1:${PROMETHEUS_PORT}`;
/** Short intervals: the local stack is for seeing a stall within a minute, not for retention. */
export const LOCAL_SCRAPE_INTERVAL_S = 5;

/** infra/prometheus in the repository (the same from src/servers and dist/servers). */
export const PROMETHEUS_CONFIG_DIR = fileURLToPath(new URL('../../../prometheus/', import.meta.url));
export const RULE_FILES = ['rules/recording.yml', 'rules/alerts.yml'] as const;

/**
 * What the local Prometheus scrapes: every pipeline service on the port `auditflow up` gives it
 * (infra/cli/src/pipeline.ts; a unit test there keeps the two lists equal). The job is the stage's
 * name, which the rules, the dashboard and `auditflow status` group by. Port 8071 is the fused
 * processor, or the sanitizer under `up --split` (then 8072 is the enricher).
 */
export interface ScrapeTarget {
  readonly job: string;
  readonly port: number;
}

export const SCRAPE_TARGETS: readonly ScrapeTarget[] = [
  { job: 'gateway', port: 8070 },
  { job: 'processor', port: 8071 },
  { job: 'enricher', port: 8072 },
  { job: 'indexer', port: 8073 },
  { job: 'archiver', port: 8074 },
  { job: 'query-api', port: 8080 },
  { job: 'streamer', port: 8090 },
];

/**
 * The servers under the pipeline, scraped by job = server: the broker's JMX exporter agent
 * (infra/prometheus/jmx/kafka.yml), the registry's own Micrometer endpoint on its management
 * port, and the Elasticsearch exporter. MinIO is scraped with its token (below).
 */
export const SERVER_SCRAPE_TARGETS: readonly ScrapeTarget[] = [
  { job: 'kafka', port: KAFKA_METRICS_PORT },
  { job: 'registry', port: REGISTRY_MANAGEMENT_PORT },
  { job: 'elasticsearch', port: ES_EXPORTER_PORT },
];

function distDir(paths: StackPaths, binary: 'prometheus' | 'promtool'): string {
  return join(paths.cache, 'dist', `${binary}-${PROMETHEUS_VERSION}`);
}

/** Builds prometheus and promtool once per version (no-ops when cached); returns their paths. */
export async function installPrometheus(
  paths: StackPaths,
  report?: (line: string) => void,
): Promise<{ prometheus: string; promtool: string }> {
  const ldflags = `-s -w -X github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION}`;
  const built = { prometheus: '', promtool: '' };
  for (const binary of ['prometheus', 'promtool'] as const) {
    const dir = distDir(paths, binary);
    await buildGoModule(
      dir,
      {
        modulePath: PROMETHEUS_MODULE,
        version: PROMETHEUS_MODULE_VERSION,
        pkg: `./cmd/${binary}`,
        binary,
        ldflags,
        tags: ['remove_all_sd'],
      },
      report,
    );
    built[binary] = join(dir, 'bin', binary);
  }
  return built;
}

/**
 * A bearer token MinIO accepts on its metrics endpoint: what `mc admin prometheus generate`
 * makes, a JWT (HS512) for the root user with issuer `prometheus`, signed with its secret key.
 */
export function minioMetricsToken(
  accessKey: string,
  secretKey: string,
  nowS = Math.floor(Date.now() / 1000),
): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'HS512', typ: 'JWT' })}.${part({
    exp: nowS + 100 * 365 * 86_400,
    sub: accessKey,
    iss: 'prometheus',
  })}`;
  return `${unsigned}.${createHmac('sha512', secretKey).update(unsigned).digest('base64url')}`;
}

/** prometheus.yml of the local stack. */
export function localPrometheusConfig(options: {
  port: number;
  tokenFile: string;
  s3Port?: number;
  targets?: readonly ScrapeTarget[];
  servers?: readonly ScrapeTarget[];
}): string {
  const rules = RULE_FILES.map((file) => `  - ${JSON.stringify(join(PROMETHEUS_CONFIG_DIR, file))}`).join(
    '\n',
  );
  const jobs = [...(options.targets ?? SCRAPE_TARGETS), ...(options.servers ?? SERVER_SCRAPE_TARGETS)]
    .map(
      (t) => `  - job_name: ${t.job}
    static_configs:
      - targets: ['127.0.0.1:${t.port}']`,
    )
    .join('\n');
  return `# Written by auditflow stack up (infra/stack/src/servers/prometheus.ts); rules from infra/prometheus.
global:
  scrape_interval: ${LOCAL_SCRAPE_INTERVAL_S}s
  evaluation_interval: ${LOCAL_SCRAPE_INTERVAL_S}s
  external_labels:
    stack: local
rule_files:
${rules}
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:${options.port}']
${jobs}
  - job_name: minio
    metrics_path: /minio/v2/metrics/cluster
    authorization:
      credentials_file: ${JSON.stringify(options.tokenFile)}
    static_configs:
      - targets: ['127.0.0.1:${options.s3Port ?? S3_PORT}']
`;
}

/**
 * Prometheus on `port` scraping `targets` (default: the stack's own ports); tests run one of their
 * own on other ports against the services they start.
 */
export function createPrometheusServer(
  options: { port?: number; targets?: readonly ScrapeTarget[]; s3Port?: number } = {},
): LocalServer {
  const port = options.port ?? PROMETHEUS_PORT;
  const url = `http://127.0.0.1:${port}`;
  const writeConfig = (paths: StackPaths, dirs: ServerDirs): void => {
    const credentials = loadCredentials(paths);
    const tokenFile = join(dirs.root, 'minio-metrics.token');
    writeFileSync(tokenFile, minioMetricsToken(credentials.s3AccessKey, credentials.s3SecretKey), {
      mode: 0o600,
    });
    writeFileSync(
      join(dirs.root, 'prometheus.yml'),
      localPrometheusConfig({ port, tokenFile, targets: options.targets, s3Port: options.s3Port }),
    );
  };
  return {
    name: 'prometheus',
    title: 'Prometheus (scrapes the pipeline, evaluates infra/prometheus rules)',
    version: PROMETHEUS_VERSION,
    ports: [port],
    startTimeoutS: 60,

    install: async (paths, report) => {
      await installPrometheus(paths, report);
    },

    async prepare(paths, dirs) {
      mkdirSync(dirs.data, { recursive: true });
      writeConfig(paths, dirs);
    },

    // `stack up` on a running Prometheus: the configuration of this version (new scrape jobs),
    // re-read without a restart along with edited rules.
    async afterReady(paths) {
      writeConfig(paths, serverDirs(paths, 'prometheus'));
      const res = await fetch(`${url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      if (!res.ok)
        throw new Error(`Prometheus refused to reload its configuration: ${res.status} ${await res.text()}`);
    },

    launch(paths, dirs) {
      return {
        command: join(distDir(paths, 'prometheus'), 'bin', 'prometheus'),
        args: [
          `--config.file=${join(dirs.root, 'prometheus.yml')}`,
          `--storage.tsdb.path=${dirs.data}`,
          '--storage.tsdb.retention.time=2d',
          `--web.listen-address=127.0.0.1:${port}`,
          // `auditflow stack up` again re-reads edited rules without a restart (POST /-/reload).
          '--web.enable-lifecycle',
        ],
        cwd: dirs.root,
      };
    },

    async ready() {
      return (await probe(`${url}/-/ready`))?.status === 200;
    },

    async runningVersion() {
      const res = await probe(`${url}/api/v1/status/buildinfo`);
      if (res?.status !== 200) return undefined;
      return (JSON.parse(res.body) as { data?: { version?: string } }).data?.version;
    },
  };
}

export const prometheus: LocalServer = createPrometheusServer();
