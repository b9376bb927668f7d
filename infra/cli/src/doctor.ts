/**
 * The pure half of `auditflow doctor`: which settings the services read and what makes each
 * valid, how check results add up to a verdict, and how they are printed. The probes (network
 * I/O) live in commands/doctor.ts.
 */
import { parseDuration, TENANT_ID_PATTERN, TENANT_ID_RULE } from '@auditflow/schemas';
import { z } from 'zod';

/** skip: not tried because what it depends on failed (the failure is reported on its own line). */
export type Level = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  readonly name: string;
  readonly level: Level;
  readonly detail: string;
  /** What to do about it; present on warn and fail. */
  readonly fix?: string;
}

interface Setting {
  readonly name: string;
  /** Who reads it, for the message. */
  readonly usedBy: string;
  readonly schema: z.ZodType;
  readonly fix: string;
  /** Required unless this other setting is set (a file alternative). */
  readonly unlessSet?: string;
  readonly optional?: boolean;
  /** The value names a file that must exist. */
  readonly file?: boolean;
}

const hostPorts = z
  .string()
  .regex(/^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/, 'must be comma-separated host:port pairs');
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const token = z.string().min(16, 'must be at least 16 characters');
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const path = z.string().min(1);
const duration = z
  .string()
  .refine((v) => (parseDuration(v) ?? 0) > 0, 'must be a duration such as 90s, 15m, 24h or 30d');

/** Every setting a pipeline service reads at start (see each service's main.ts). */
export const SETTINGS: readonly Setting[] = [
  {
    name: 'KAFKA_BROKERS',
    usedBy: 'every service',
    schema: hostPorts,
    fix: 'set it to the bootstrap servers, e.g. 127.0.0.1:9092',
  },
  {
    name: 'SCHEMA_REGISTRY_URL',
    usedBy: 'every service',
    schema: httpUrl,
    fix: 'set it to the Confluent-compatible registry, e.g. http://127.0.0.1:8081/apis/ccompat/v7',
  },
  {
    name: 'ELASTICSEARCH_URL',
    usedBy: 'indexer, query-api',
    schema: httpUrl,
    fix: 'set it to Elasticsearch, e.g. http://127.0.0.1:9200',
  },
  {
    name: 'S3_ENDPOINT',
    usedBy: 'archiver',
    schema: httpUrl,
    fix: 'set it to the S3 endpoint, e.g. http://127.0.0.1:9000',
  },
  {
    name: 'S3_BUCKET',
    usedBy: 'archiver',
    schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'is not a valid S3 bucket name'),
    fix: 'set it to the archive bucket, audit-archive',
  },
  {
    name: 'AWS_ACCESS_KEY_ID',
    usedBy: 'archiver',
    schema: z.string().min(3, 'is too short'),
    fix: 'set the S3 access key (local stack: pnpm auditflow stack env)',
  },
  {
    name: 'AWS_SECRET_ACCESS_KEY',
    usedBy: 'archiver',
    schema: z.string().min(8, 'is too short'),
    fix: 'set the S3 secret key (local stack: pnpm auditflow stack env)',
  },
  {
    name: 'AWS_REGION',
    usedBy: 'archiver',
    schema: z.string().min(1),
    fix: 'set the S3 region, e.g. us-east-1',
  },
  {
    name: 'AUDITFLOW_GATEWAY_TOKEN',
    usedBy: 'gateway',
    schema: token,
    unlessSet: 'AUDITFLOW_GATEWAY_CLIENTS_FILE',
    fix: 'set a token of 16+ characters (openssl rand -base64 24) or AUDITFLOW_GATEWAY_CLIENTS_FILE',
  },
  {
    name: 'AUDITFLOW_QUERY_TOKEN',
    usedBy: 'query-api',
    schema: token,
    unlessSet: 'AUDITFLOW_QUERY_CLIENTS_FILE',
    fix: 'set a token of 16+ characters (openssl rand -base64 24) or AUDITFLOW_QUERY_CLIENTS_FILE',
  },
  {
    name: 'AUDITFLOW_STREAM_TOKEN',
    usedBy: 'streamer',
    schema: token,
    optional: true,
    fix: 'set a token of 16+ characters (openssl rand -base64 24)',
  },
  {
    name: 'AUDITFLOW_PSEUDONYM_KEY',
    usedBy: 'sanitizer',
    schema: z.string().regex(/^[0-9a-f]{64,}$/i, 'must hold at least 32 bytes as hex'),
    unlessSet: 'AUDITFLOW_PSEUDONYM_KEY_FILE',
    fix: 'generate one with `openssl rand -hex 32`, or point AUDITFLOW_PSEUDONYM_KEY_FILE at a file holding it',
  },
  {
    name: 'AUDITFLOW_REDACTION_KEY',
    usedBy: 'sanitizer',
    schema: z.string().regex(/^[0-9a-f]{64,}$/i, 'must hold at least 32 bytes as hex'),
    unlessSet: 'AUDITFLOW_REDACTION_KEY_FILE',
    fix: 'generate one with `openssl rand -hex 32` (a key of its own, not the pseudonym key), or point AUDITFLOW_REDACTION_KEY_FILE at a file holding it',
  },
  ...(
    [
      ['AUDITFLOW_PSEUDONYM_KEY_FILE', 'sanitizer'],
      ['AUDITFLOW_REDACTION_KEY_FILE', 'sanitizer'],
      ['AUDITFLOW_SANITIZER_KEY_NAMES', 'sanitizer'],
      ['AUDITFLOW_SANITIZER_RULES', 'sanitizer'],
      ['AUDITFLOW_PII_POLICY', 'sanitizer'],
      ['AUDITFLOW_ACTION_CATALOG', 'enricher'],
      ['AUDITFLOW_RETENTION_POLICY', 'enricher'],
      ['AUDITFLOW_METADATA', 'enricher'],
      ['AUDITFLOW_GATEWAY_CLIENTS_FILE', 'gateway'],
      ['AUDITFLOW_QUERY_CLIENTS_FILE', 'query-api'],
    ] as const
  ).map(
    ([name, usedBy]): Setting => ({
      name,
      usedBy,
      schema: path,
      optional: true,
      file: true,
      fix: 'point it at an existing file, or unset it to use the built-in default',
    }),
  ),
  ...(
    [
      ['AUDITFLOW_GATEWAY_PORT', 'gateway'],
      ['AUDITFLOW_QUERY_PORT', 'query-api'],
    ] as const
  ).map(
    ([name, usedBy]): Setting => ({
      name,
      usedBy,
      schema: port,
      optional: true,
      fix: 'set a port number 0-65535 or unset it for the default',
    }),
  ),
  ...(
    [
      ['AUDITFLOW_OCCURRED_AT_MAX_AHEAD', 'sdk, gateway', '24h'],
      ['AUDITFLOW_OCCURRED_AT_MAX_BEHIND', 'sdk, gateway', '30d'],
      ['AUDITFLOW_GATEWAY_AUTH_FAILURE_INTERVAL', 'gateway', '60s'],
    ] as const
  ).map(
    ([name, usedBy, fallback]): Setting => ({
      name,
      usedBy,
      schema: duration,
      optional: true,
      fix: `set a duration such as 90s, 15m, 24h or 30d, or unset it (default ${fallback})`,
    }),
  ),
  {
    name: 'AUDITFLOW_SYSTEM_TENANT',
    usedBy: 'every service (the pipeline audits itself under it)',
    schema: z.string().regex(TENANT_ID_PATTERN, TENANT_ID_RULE),
    optional: true,
    fix: 'set a tenant id (lower-case letters, digits, - _ .) or unset it (default auditflow)',
  },
  {
    name: 'AUDITFLOW_SANITIZER_EVENT_BUDGET_MS',
    usedBy: 'sanitizer',
    schema: z.coerce.number().int().min(10),
    optional: true,
    fix: 'set a whole number of milliseconds >= 10, or unset it (default 2000)',
  },
  {
    name: 'AUDITFLOW_EXPORT_CAP',
    usedBy: 'query-api',
    schema: positiveInt,
    optional: true,
    fix: 'set a whole number > 0 or unset it (default 10000)',
  },
  {
    name: 'AUDITFLOW_SEARCH_RETENTION_DAYS',
    usedBy: 'indexer',
    schema: positiveInt,
    optional: true,
    fix: 'set a whole number of days > 0 or unset it (default 365)',
  },
  {
    name: 'AUDITFLOW_INDEX_PREFIX',
    usedBy: 'indexer',
    schema: z.string().regex(/^audit-events[a-z0-9-]*$/, 'must start with audit-events'),
    optional: true,
    fix: 'use audit-events or audit-events-<suffix> (lower case) so Kibana and the query API find it',
  },
];

/**
 * Validates the environment the services will see. One result per bad setting (named, with
 * the fix), or one ok line when all are good.
 */
export function checkConfig(
  env: Readonly<Record<string, string | undefined>>,
  fileExists: (path: string) => boolean,
  /** Settings whose value came from the local stack's defaults, not the environment. */
  fromStack: ReadonlySet<string> = new Set(),
): CheckResult[] {
  const problems: CheckResult[] = [];
  let valid = 0;
  for (const setting of SETTINGS) {
    const value = env[setting.name];
    const name = `config ${setting.name}`;
    if (value === undefined || value === '') {
      if (setting.optional || (setting.unlessSet && env[setting.unlessSet])) continue;
      problems.push({
        name,
        level: 'fail',
        detail: `not set (needed by ${setting.usedBy})`,
        fix: setting.fix,
      });
      continue;
    }
    const parsed = setting.schema.safeParse(value);
    if (!parsed.success) {
      const reason = parsed.error.issues[0]?.message ?? 'is invalid';
      // Secrets are never echoed back, only their length.
      const shown = /TOKEN|SECRET|KEY$/.test(setting.name) ? `(${value.length} characters)` : `'${value}'`;
      problems.push({
        name,
        level: 'fail',
        detail: `${shown} ${reason} (read by ${setting.usedBy})`,
        fix: setting.fix,
      });
      continue;
    }
    if (setting.file && !fileExists(value)) {
      problems.push({
        name,
        level: 'fail',
        detail: `file ${value} does not exist (read by ${setting.usedBy})`,
        fix: setting.fix,
      });
      continue;
    }
    valid++;
  }
  if (problems.length > 0) return problems;
  const defaults = SETTINGS.filter((s) => fromStack.has(s.name)).length;
  return [
    {
      name: 'config',
      level: 'ok',
      detail: `${valid} settings valid${defaults > 0 ? ` (${defaults} from the local stack; the environment overrides them)` : ''}`,
    },
  ];
}

/** True when every value the named settings hold passed checkConfig (so a probe may use them). */
export function usable(config: readonly CheckResult[], ...names: string[]): boolean {
  return !config.some((c) => c.level === 'fail' && names.some((n) => c.name === `config ${n}`));
}

export interface Verdict {
  readonly ok: boolean;
  readonly exitCode: number;
  readonly counts: Record<Level, number>;
}

/** Any fail makes the run fail; warnings (e.g. services not started) do not. */
export function verdict(results: readonly CheckResult[]): Verdict {
  const counts: Record<Level, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const r of results) counts[r.level]++;
  return { ok: counts.fail === 0, exitCode: counts.fail === 0 ? 0 : 1, counts };
}

/** One line per check: level, name, detail, and the fix after an arrow. */
export function formatResult(result: CheckResult, nameWidth = 24): string {
  const fix = result.fix && result.level !== 'ok' ? `  -> ${result.fix}` : '';
  return `${result.level.padEnd(4)}  ${result.name.padEnd(nameWidth)}  ${result.detail}${fix}`;
}

export function formatSummary(v: Verdict): string {
  const { ok, warn, fail, skip } = v.counts;
  return `${v.ok ? 'healthy' : 'problems found'}: ${ok} ok, ${warn} warn, ${fail} fail, ${skip} skipped`;
}

/**
 * How a service's /readyz answer reads. Nothing listening is "not running" (a warning: the
 * user may simply not have run `up`), while a process that answers but is not ready fails.
 */
export function serviceResult(
  name: string,
  port: number,
  answer: { status: number } | { error: string },
  logPath: string,
): CheckResult {
  const check = `service ${name}`;
  if ('status' in answer) {
    if (answer.status === 200) return { name: check, level: 'ok', detail: `ready on 127.0.0.1:${port}` };
    return {
      name: check,
      level: 'fail',
      detail: `running on 127.0.0.1:${port} but /readyz answers ${answer.status}`,
      fix: `it is starting or a dependency is down; read its log: ${logPath}`,
    };
  }
  if (/ECONNREFUSED/.test(answer.error)) {
    return {
      name: check,
      level: 'warn',
      detail: `not running (nothing on 127.0.0.1:${port})`,
      fix: 'start the pipeline with: pnpm auditflow up --detach',
    };
  }
  return {
    name: check,
    level: 'fail',
    detail: `127.0.0.1:${port}/readyz did not answer: ${answer.error}`,
    fix: 'the process may be hung; restart it with pnpm auditflow down --keep-stack && pnpm auditflow up -d',
  };
}
