import { existsSync } from 'node:fs';
import { type KafkaSecurity, kafkaSecurityFromEnv } from '@auditflow/producer';
import { TOPICS } from '@auditflow/schemas';
import { resolvePaths, STACK_ENV_KEYS } from '@auditflow/stack';
import {
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Command } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import {
  type CheckResult,
  checkConfig,
  formatResult,
  formatSummary,
  serviceResult,
  usable,
  verdict,
} from '../doctor.ts';
import { commandEnv } from '../env.ts';
import { pipelineFor, runningDeployment, serviceLog } from '../pipeline.ts';

type Env = Readonly<Record<string, string | undefined>>;
const TIMEOUT_MS = 5000;
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const skip = (name: string, why: string): CheckResult => ({ name, level: 'skip', detail: why });

/** Broker metadata, then the five audit topics. */
async function kafkaChecks(brokers: string): Promise<CheckResult[]> {
  let security: KafkaSecurity;
  try {
    security = kafkaSecurityFromEnv();
  } catch (err) {
    // The message names the setting, never its value.
    return [
      {
        name: 'kafka security',
        level: 'fail',
        detail: errorText(err),
        fix: 'see KAFKA_SSL* / KAFKA_SASL_* in the README',
      },
    ];
  }
  const admin = new Kafka({
    clientId: 'auditflow-doctor',
    brokers: brokers.split(','),
    ...security,
    logLevel: logLevel.NOTHING,
    connectionTimeout: TIMEOUT_MS,
    requestTimeout: TIMEOUT_MS,
    retry: { retries: 1, initialRetryTime: 200 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    const results: CheckResult[] = [
      {
        name: 'kafka',
        level: 'ok',
        detail: `${cluster.brokers.length} broker(s) answer metadata at ${brokers} (controller ${cluster.controller})`,
      },
    ];
    const existing = new Set(await admin.listTopics());
    const wanted = Object.values(TOPICS);
    const missing = wanted.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      results.push({
        name: 'kafka topics',
        level: 'fail',
        detail: `missing: ${missing.join(', ')}`,
        fix: 'pnpm auditflow topics create',
      });
    } else {
      const meta = await admin.fetchTopicMetadata({ topics: wanted });
      const parts = meta.topics.map((t) => `${t.name}:${t.partitions.length}`).join(' ');
      results.push({
        name: 'kafka topics',
        level: 'ok',
        detail: `all ${wanted.length} exist (partitions ${parts})`,
      });
    }
    return results;
  } catch (err) {
    return [
      {
        name: 'kafka',
        level: 'fail',
        detail: `no metadata from ${brokers}: ${errorText(err)}`,
        fix: 'check KAFKA_BROKERS and that the broker runs (local: pnpm auditflow stack up kafka)',
      },
      skip('kafka topics', 'Kafka unreachable'),
    ];
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function get(url: string, headers?: Record<string, string>): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), headers });
}

/** The registry answers, and the AuditEvent schema is registered for each topic that carries it. */
async function registryChecks(url: string): Promise<CheckResult[]> {
  const base = url.replace(/\/+$/, '');
  const wanted = [TOPICS.raw, TOPICS.sanitized, TOPICS.clean].map((t) => `${t}-value`);
  // Each subject asked by name: the list of all subjects is paged (1,000 per page at most), and a
  // registry other producers share can hold more, so the audit subjects need not be on page one.
  const missing: string[] = [];
  try {
    for (const subject of wanted) {
      const res = await get(`${base}/subjects/${encodeURIComponent(subject)}/versions`);
      if (res.status === 404) missing.push(subject);
      else if (!res.ok) throw new Error(`GET /subjects/${subject}/versions answered ${res.status}`);
    }
  } catch (err) {
    return [
      {
        name: 'schema registry',
        level: 'fail',
        detail: `${base}: ${errorText(err)}`,
        fix: 'check SCHEMA_REGISTRY_URL (the Confluent API path, e.g. .../apis/ccompat/v7) and that the registry runs',
      },
      skip('schema subjects', 'registry unreachable'),
    ];
  }
  return [
    { name: 'schema registry', level: 'ok', detail: `${base} answers` },
    missing.length > 0
      ? {
          name: 'schema subjects',
          level: 'fail',
          detail: `AuditEvent not registered as ${missing.join(', ')}`,
          fix: 'pnpm auditflow schemas register',
        }
      : { name: 'schema subjects', level: 'ok', detail: `AuditEvent registered as ${wanted.join(', ')}` },
  ];
}

/** Cluster health (the integ-test distribution has no `GET /`), then the audit-events template. */
async function elasticsearchChecks(url: string, prefix: string): Promise<CheckResult[]> {
  const base = url.replace(/\/+$/, '');
  let health: { status: string; number_of_nodes: number; cluster_name: string };
  try {
    const res = await get(`${base}/_cluster/health`);
    if (!res.ok) throw new Error(`GET /_cluster/health answered ${res.status}`);
    health = (await res.json()) as typeof health;
  } catch (err) {
    return [
      {
        name: 'elasticsearch',
        level: 'fail',
        detail: `${base}: ${errorText(err)}`,
        fix: 'check ELASTICSEARCH_URL and that Elasticsearch runs (local: pnpm auditflow stack up elasticsearch)',
      },
      skip('index template', 'Elasticsearch unreachable'),
    ];
  }
  const results: CheckResult[] = [
    health.status === 'red'
      ? {
          name: 'elasticsearch',
          level: 'fail',
          detail: `cluster ${health.cluster_name} is red`,
          fix: 'GET _cluster/allocation/explain names the unassigned shards',
        }
      : {
          name: 'elasticsearch',
          level: 'ok',
          detail: `cluster ${health.cluster_name} ${health.status}, ${health.number_of_nodes} node(s)`,
        },
  ];
  const res = await get(`${base}/_index_template/${prefix}`).catch((err: unknown) => errorText(err));
  if (typeof res === 'string' || (!res.ok && res.status !== 404)) {
    results.push({
      name: 'index template',
      level: 'fail',
      detail: typeof res === 'string' ? res : `GET _index_template answered ${res.status}`,
    });
  } else if (res.status === 404) {
    // The indexer installs its template when it starts, so before the first `up` this is expected.
    results.push({
      name: 'index template',
      level: 'warn',
      detail: `no index template ${prefix} yet`,
      fix: 'the indexer installs it when it starts: pnpm auditflow up --detach',
    });
  } else {
    const body = (await res.json()) as {
      index_templates: { index_template: { index_patterns: string[] } }[];
    };
    const patterns = body.index_templates[0]?.index_template.index_patterns.join(', ');
    results.push({
      name: 'index template',
      level: 'ok',
      detail: `${prefix} installed (patterns ${patterns})`,
    });
  }
  return results;
}

/** The endpoint and credentials (HeadBucket), then Object Lock on the archive bucket. */
async function s3Checks(env: Env): Promise<CheckResult[]> {
  const bucket = env.S3_BUCKET || 'audit-archive';
  const client = new S3Client({
    endpoint: env.S3_ENDPOINT,
    region: env.AWS_REGION || 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Without keys, the SDK's own chain (environment, profile, instance role), as the archiver.
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } }
      : {}),
    maxAttempts: 1,
  });
  const signal = () => ({ abortSignal: AbortSignal.timeout(TIMEOUT_MS) });
  try {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }), signal());
    } catch (err) {
      const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
      const [detail, fix] =
        status === 404
          ? [
              `bucket ${bucket} does not exist`,
              'create it with Object Lock: mc mb --with-lock <alias>/audit-archive (the local stack creates it)',
            ]
          : status === 403 || status === 401
            ? [`access to ${bucket} denied`, 'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY']
            : [
                `${env.S3_ENDPOINT}: ${errorText(err)}`,
                'check S3_ENDPOINT and that the store runs (local: pnpm auditflow stack up s3)',
              ];
      return [{ name: 's3', level: 'fail', detail, fix }, skip('s3 object lock', 'bucket not reachable')];
    }
    const results: CheckResult[] = [
      { name: 's3', level: 'ok', detail: `${env.S3_ENDPOINT} bucket ${bucket} reachable` },
    ];
    try {
      const lock = await client.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }), signal());
      const rule = lock.ObjectLockConfiguration?.Rule?.DefaultRetention;
      results.push({
        name: 's3 object lock',
        level: lock.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled' ? 'ok' : 'fail',
        detail: `ObjectLockEnabled=${lock.ObjectLockConfiguration?.ObjectLockEnabled ?? 'unset'}${rule ? `, default ${rule.Mode} ${rule.Days ?? rule.Years} ${rule.Days ? 'days' : 'years'}` : ', no default retention (the archiver sets it per object)'}`,
      });
    } catch (err) {
      results.push({
        name: 's3 object lock',
        level: 'fail',
        detail: `bucket ${bucket} has no Object Lock: ${errorText(err)}`,
        fix: 'Object Lock can only be enabled when a bucket is created: create a new bucket with --with-lock / ObjectLockEnabledForBucket',
      });
    }
    return results;
  } finally {
    client.destroy();
  }
}

async function serviceChecks(): Promise<CheckResult[]> {
  const paths = resolvePaths();
  // The deployment whose processors an `up` started (fused when none runs: `up`'s default).
  const pipeline = pipelineFor(runningDeployment(paths) ?? 'fused');
  return Promise.all(
    pipeline
      .filter((s) => s.port !== undefined)
      .map(async (service) => {
        const port = service.port as number;
        const answer = await get(`http://127.0.0.1:${port}/readyz`).then(
          (res) => ({ status: res.status }),
          (err: unknown) => {
            const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : '';
            return { error: `${errorText(err)} ${cause}`.trim() };
          },
        );
        return serviceResult(service.name, port, answer, serviceLog(paths, service.name));
      }),
  );
}

/** Every check; probes run in parallel, each bounded by its own timeout. */
export async function runDoctor(processEnv: NodeJS.ProcessEnv = process.env): Promise<CheckResult[]> {
  const merged: Env = { ...process.env, ...processEnv, ...commandEnv(processEnv) };
  const fromStack = new Set(STACK_ENV_KEYS.filter((k) => !processEnv[k]));
  const config = checkConfig(merged, existsSync, fromStack);
  // Only read after checkConfig passed them, so a missing value cannot reach a probe.
  const at = (key: string): string => merged[key] ?? '';
  const probes: Promise<CheckResult[]>[] = [
    usable(config, 'KAFKA_BROKERS')
      ? kafkaChecks(at('KAFKA_BROKERS'))
      : Promise.resolve([
          skip('kafka', 'KAFKA_BROKERS invalid'),
          skip('kafka topics', 'KAFKA_BROKERS invalid'),
        ]),
    usable(config, 'SCHEMA_REGISTRY_URL')
      ? registryChecks(at('SCHEMA_REGISTRY_URL'))
      : Promise.resolve([skip('schema registry', 'SCHEMA_REGISTRY_URL invalid')]),
    usable(config, 'ELASTICSEARCH_URL', 'AUDITFLOW_INDEX_PREFIX')
      ? elasticsearchChecks(at('ELASTICSEARCH_URL'), at('AUDITFLOW_INDEX_PREFIX') || 'audit-events')
      : Promise.resolve([skip('elasticsearch', 'ELASTICSEARCH_URL invalid')]),
    // S3_ENDPOINT unset is AWS's S3 (the archiver's default): not probed from here.
    !at('S3_ENDPOINT')
      ? Promise.resolve([skip('s3', 'S3_ENDPOINT not set (AWS S3 is not probed)')])
      : usable(config, 'S3_ENDPOINT', 'S3_BUCKET', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION')
        ? s3Checks(merged)
        : Promise.resolve([skip('s3', 'S3 settings invalid')]),
    serviceChecks(),
  ];
  return [...config, ...(await Promise.all(probes)).flat()];
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description(
      'check the configuration and that Kafka, topics, registry, Elasticsearch, S3 and each service answer',
    )
    .option('--json', 'one JSON object: {ok, counts, checks[]}')
    .action(async (options: { json?: boolean }) => {
      const results = await runDoctor();
      const v = verdict(results);
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ ok: v.ok, counts: v.counts, checks: results })}\n`);
      } else {
        const width = Math.max(...results.map((r) => r.name.length));
        for (const r of results) process.stdout.write(`${formatResult(r, width)}\n`);
        process.stdout.write(`${formatSummary(v)}\n`);
      }
      process.exitCode = v.exitCode;
    });
}
