/**
 * The environment settings of every pipeline service, declared once (issue 16: one validated
 * config reader that `doctor` reads its settings list from). Each service reads its own schema at
 * start (`readSettings` of @auditflow/service, or its own reader built on the same schema), and
 * `auditflow doctor` checks the environment against all of them, so a rule changed here changes
 * both. Plain declarations: importing this module reads no environment and opens no file.
 *
 * Each schema is a zod object of environment variables (strings in, typed values out). Rules
 * shared by several services are built by the helpers below, so their wording is the same
 * everywhere. `settingMeta` holds what doctor needs beyond the rule: the fix to print, whether
 * the value names a file that must exist, whether it is a secret (never echoed).
 */
import { z } from 'zod';
import {
  OCCURRED_AT_AHEAD_ENV,
  OCCURRED_AT_BEHIND_ENV,
  parseDuration,
  SYSTEM_TENANT_ENV,
  TENANT_ID_PATTERN,
  TENANT_ID_RULE,
} from './bounds.ts';
import { REDACTION_KEY_ENV, REDACTION_KEY_FILE_ENV } from './redaction.ts';
import { TOPICS } from './topics.ts';

export interface SettingMeta {
  /** What to do when the setting is missing or wrong (doctor prints it after the rule). */
  readonly fix?: string;
  /** The value is a path to a file that must exist. */
  readonly file?: boolean;
  /** Never shown, only its length. */
  readonly secret?: boolean;
}

/** The doctor's notes on a setting's schema (the field as declared, before optional/default). */
export const settingMeta = z.registry<SettingMeta>();

function note<T extends z.ZodType>(schema: T, meta: SettingMeta): T {
  settingMeta.add(schema, meta);
  return schema;
}

/** The notes of a field, looking through `.optional()` and `.default()`. */
export function settingMetaOf(schema: z.ZodType): SettingMeta | undefined {
  let current: z.ZodType | undefined = schema;
  for (let depth = 0; current && depth < 4; depth++) {
    const meta = settingMeta.get(current);
    if (meta) return meta;
    const def = current.def as { innerType?: z.ZodType };
    current = def.innerType;
  }
  return undefined;
}

/** A variable that must be set: unset reads "not set" and the fix, not zod's type message. */
const text = (fix: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? `not set: ${fix}` : undefined) });

// ---- rules shared by the services ------------------------------------------------------------

const HOST_PORTS = /^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/;

export const settingRules = {
  kafkaBrokers: () =>
    note(
      text('set it to the Kafka bootstrap servers, e.g. 127.0.0.1:9092').regex(
        HOST_PORTS,
        'must be comma-separated host:port pairs',
      ),
      { fix: 'set it to the bootstrap servers, e.g. 127.0.0.1:9092' },
    ),
  httpUrl: (fix: string) =>
    note(
      z.url({
        protocol: /^https?$/,
        error: (issue) =>
          issue.input === undefined ? `not set: ${fix}` : 'must be an http:// or https:// URL',
      }),
      { fix },
    ),
  token: (fix = 'set a token of 16+ characters (openssl rand -base64 24)') =>
    note(z.string().min(16, 'must be at least 16 characters'), { fix, secret: true }),
  /** At least 32 bytes as hex, as `hexKeyFromEnv` reads it. */
  hexKey: (fix: string) =>
    note(z.string().regex(/^[0-9a-f]{64,}$/i, 'must hold at least 32 bytes as hex'), { fix, secret: true }),
  file: (fix = 'point it at an existing file, or unset it to use the built-in default') =>
    note(z.string().min(1, 'must be a path'), { fix, file: true }),
  port: (fallback: number) =>
    note(
      z.coerce
        .number({ error: `must be a port number 0-65535 (default ${fallback})` })
        .int('must be a port number 0-65535')
        .min(0, 'must be a port number 0-65535')
        .max(65_535, 'must be a port number 0-65535')
        .default(fallback),
      { fix: `set a port number 0-65535 or unset it for the default (${fallback})` },
    ),
  positiveInt: (fallback: number) =>
    note(
      z.coerce
        .number({ error: 'must be a whole number > 0' })
        .int('must be a whole number > 0')
        .positive('must be a whole number > 0')
        .default(fallback),
      { fix: `set a whole number > 0 or unset it (default ${fallback})` },
    ),
  duration: (fallback: string) =>
    note(
      z
        .string()
        .refine((v) => (parseDuration(v) ?? 0) > 0, 'must be a duration such as 90s, 15m, 24h or 30d'),
      { fix: `set a duration such as 90s, 15m, 24h or 30d, or unset it (default ${fallback})` },
    ),
};

const r = settingRules;

/**
 * `a` or `b` must be set (a secret or the file holding it, a token or a clients file); the
 * problem is reported on `a`.
 */
function oneOf(a: string, b: string, fix: string) {
  return (env: Record<string, unknown>, ctx: z.RefinementCtx) => {
    if (env[a] === undefined && env[b] === undefined)
      ctx.addIssue({ code: 'custom', path: [a], message: `not set (nor ${b}): ${fix}` });
  };
}

// ---- what every stage reads -----------------------------------------------------------------

/** Every Kafka stage: where Kafka and the registry are, its instance, the record size limit. */
export const stageSettingsShape = {
  KAFKA_BROKERS: r.kafkaBrokers(),
  SCHEMA_REGISTRY_URL: r.httpUrl(
    'set it to the Confluent-compatible registry, e.g. http://127.0.0.1:8081/apis/ccompat/v7',
  ),
  AUDITFLOW_INSTANCE_ID: z.string().min(1).optional(),
  /** Records larger than this go to the DLQ as `oversized` (the SDK refuses events over 900,000 bytes). */
  AUDITFLOW_MAX_EVENT_BYTES: note(
    z.coerce
      .number()
      .int()
      .min(1024, "at least 1024 bytes; the default is 1048576 (Kafka's default message size)")
      .default(1_048_576),
    { fix: 'set a number of bytes >= 1024, or unset it (default 1048576)' },
  ),
};

export const stageSettings = z.object(stageSettingsShape);

const systemTenant = {
  [SYSTEM_TENANT_ENV]: note(z.string().regex(TENANT_ID_PATTERN, TENANT_ID_RULE).optional(), {
    fix: 'set a tenant id (lower-case letters, digits, - _ .) or unset it (default auditflow)',
  }),
};

/** The contract's occurred_at window (read where events are checked and filed). */
const occurredAtWindow = {
  [OCCURRED_AT_AHEAD_ENV]: r.duration('24h').optional(),
  [OCCURRED_AT_BEHIND_ENV]: r.duration('30d').optional(),
};

const spoolDir = { AUDITFLOW_SPOOL_DIR: z.string().min(1).optional() };

// ---- the services ---------------------------------------------------------------------------

export const gatewaySettings = z
  .object({
    ...stageSettingsShape,
    AUDITFLOW_GATEWAY_TOKEN: r.token().optional(),
    AUDITFLOW_GATEWAY_CLIENTS_FILE: r.file('point it at the clients JSON file').optional(),
    AUDITFLOW_GATEWAY_HOST: z.string().min(1).optional(),
    AUDITFLOW_GATEWAY_PORT: r.port(8070).optional(),
    ...occurredAtWindow,
    AUDITFLOW_GATEWAY_AUTH_FAILURE_INTERVAL: r.duration('60s').optional(),
    ...systemTenant,
    ...spoolDir,
  })
  .superRefine(
    oneOf(
      'AUDITFLOW_GATEWAY_TOKEN',
      'AUDITFLOW_GATEWAY_CLIENTS_FILE',
      'set a token of 16+ characters (openssl rand -base64 24) or AUDITFLOW_GATEWAY_CLIENTS_FILE',
    ),
  );

const sanitizerShape = {
  AUDITFLOW_PSEUDONYM_KEY: r
    .hexKey(
      'generate one with `openssl rand -hex 32`, or point AUDITFLOW_PSEUDONYM_KEY_FILE at a file holding it',
    )
    .optional(),
  AUDITFLOW_PSEUDONYM_KEY_FILE: r.file().optional(),
  [REDACTION_KEY_ENV]: r
    .hexKey(
      `generate one with \`openssl rand -hex 32\` (a key of its own, not the pseudonym key), or point ${REDACTION_KEY_FILE_ENV} at a file holding it`,
    )
    .optional(),
  [REDACTION_KEY_FILE_ENV]: r.file().optional(),
  AUDITFLOW_SANITIZER_KEY_NAMES: r.file().optional(),
  AUDITFLOW_SANITIZER_RULES: r.file().optional(),
  AUDITFLOW_PII_POLICY: r.file().optional(),
  AUDITFLOW_SANITIZER_EVENT_BUDGET_MS: note(
    z.coerce.number().int().min(10, 'must be a whole number of milliseconds >= 10').optional(),
    { fix: 'set a whole number of milliseconds >= 10, or unset it (default 2000)' },
  ),
  /** Resend keys remembered per input partition (0 turns the drop off). */
  AUDITFLOW_DEDUPE_WINDOW: note(z.coerce.number().int().min(0).max(10_000_000).optional(), {
    fix: 'set a count 0-10000000, or unset it (default 100000)',
  }),
};

const sanitizerKeys = (env: Record<string, unknown>, ctx: z.RefinementCtx): void => {
  oneOf(
    'AUDITFLOW_PSEUDONYM_KEY',
    'AUDITFLOW_PSEUDONYM_KEY_FILE',
    'generate one with `openssl rand -hex 32`',
  )(env, ctx);
  oneOf(REDACTION_KEY_ENV, REDACTION_KEY_FILE_ENV, 'generate one with `openssl rand -hex 32`')(env, ctx);
};

const enricherShape = {
  AUDITFLOW_ACTION_CATALOG: r.file().optional(),
  AUDITFLOW_RETENTION_POLICY: r.file().optional(),
  AUDITFLOW_METADATA: r.file().optional(),
};

export const sanitizerSettings = z
  .object({ ...stageSettingsShape, ...sanitizerShape, AUDITFLOW_HEALTH_PORT: r.port(8071) })
  .superRefine(sanitizerKeys);

export const enricherSettings = z.object({
  ...stageSettingsShape,
  ...enricherShape,
  AUDITFLOW_HEALTH_PORT: r.port(8072),
});

/** The sanitizer and the enricher in one process (`auditflow up`'s default). */
export const fusedSettings = z
  .object({ ...stageSettingsShape, ...sanitizerShape, ...enricherShape, AUDITFLOW_HEALTH_PORT: r.port(8071) })
  .superRefine(sanitizerKeys);

export const indexerSettings = z.object({
  ...stageSettingsShape,
  ELASTICSEARCH_URL: r.httpUrl('set it to Elasticsearch, e.g. http://127.0.0.1:9200'),
  AUDITFLOW_INDEX_PREFIX: note(
    z
      .string()
      .regex(/^audit-events[a-z0-9-]*$/, 'must start with audit-events')
      .default('audit-events'),
    { fix: 'use audit-events or audit-events-<suffix> (lower case) so Kibana and the query API find it' },
  ),
  AUDITFLOW_SEARCH_RETENTION_DAYS: r.positiveInt(365),
  ...occurredAtWindow,
  AUDITFLOW_HEALTH_PORT: r.port(8073),
});

/** The archive store (the archiver, and the CLI's archive tools). */
export const s3SettingsShape = {
  S3_ENDPOINT: r.httpUrl('set it to the S3 endpoint, e.g. http://127.0.0.1:9000 (unset for AWS)').optional(),
  S3_BUCKET: note(
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'is not a valid S3 bucket name')
      .default('audit-archive'),
    { fix: 'set it to the archive bucket, audit-archive' },
  ),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ACCESS_KEY_ID: note(z.string().min(1).optional(), {
    fix: 'set the S3 access key (local stack: pnpm auditflow stack env)',
  }),
  AWS_SECRET_ACCESS_KEY: note(z.string().min(1).optional(), {
    fix: 'set the S3 secret key (local stack: pnpm auditflow stack env)',
    secret: true,
  }),
};

/** The archive's signing key (archiver) and public key (verification). */
export const archiveKeySettingsShape = {
  AUDITFLOW_ARCHIVE_SIGNING_KEY: note(z.string().min(1).optional(), { secret: true }),
  AUDITFLOW_ARCHIVE_SIGNING_KEY_FILE: r.file('point it at the PEM file of the signing key').optional(),
  AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE: r.file('point it at the PEM file of the public key').optional(),
};

/** The archiver's own settings (rolls, locks, retention, drain). */
export const archiverSettingsShape = {
  AUDITFLOW_ARCHIVE_ROLL_SECONDS: z.coerce.number().positive().default(30),
  AUDITFLOW_ARCHIVE_ROLL_MB: z.coerce.number().positive().default(64),
  AUDITFLOW_ARCHIVE_MULTIPART_MB: z.coerce.number().min(5, 'S3 parts are at least 5 MB').default(16),
  AUDITFLOW_ARCHIVE_LOCK_MODE: z.enum(['GOVERNANCE', 'COMPLIANCE', 'none', 'auto']).default('auto'),
  AUDITFLOW_ARCHIVE_DEFAULT_RETENTION_DAYS: z.coerce.number().int().positive().default(365),
  AUDITFLOW_RETENTION_FILE: r.file('point it at the retention policy file').optional(),
  AUDITFLOW_HEALTH_PORT: r.port(8074),
  /** How long a stop may spend writing open rolls; what is left is read again on restart. */
  AUDITFLOW_ARCHIVE_DRAIN_SECONDS: z.coerce.number().positive().default(15),
  /** Everything under one folder of the bucket (e.g. `prod/`); empty: the bucket root. */
  AUDITFLOW_ARCHIVE_PREFIX: z
    .string()
    // Data keys below it take at most ~480 bytes: 512 keeps every key within S3's 1,024.
    .max(512, 'must be at most 512 characters (keys under it must stay within 1,024 bytes)')
    .regex(/^$|^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/, 'must be empty or folder names ending in /')
    // S3 keys with . or .. segments are refused by some stores: every object would be.
    .refine((prefix) => !prefix.split('/').some((part) => part === '.' || part === '..'), {
      message: 'must not contain . or .. folders',
    })
    .default(''),
};

export const archiverServiceSettings = z.object({
  ...stageSettingsShape,
  ...s3SettingsShape,
  ...archiveKeySettingsShape,
  ...archiverSettingsShape,
  ...occurredAtWindow,
  ...systemTenant,
  ...spoolDir,
});

/** Bytes of frames queued per live subscriber by default (8 MiB). */
export const DEFAULT_STREAM_BUFFER_BYTES = 8 * 1024 * 1024;

export const streamerSettings = z.object({
  ...stageSettingsShape,
  AUDITFLOW_INSTANCE_ID: z.string().min(1).default('local'),
  AUDITFLOW_STREAM_TOKEN: note(
    z.string().min(16, 'at least 16 characters (eval "$(pnpm -s auditflow stack env)" sets one)').optional(),
    { fix: 'set a token of 16+ characters (openssl rand -base64 24)', secret: true },
  ),
  AUDITFLOW_STREAM_TOKENS_FILE: r.file('point it at the stream clients JSON file').optional(),
  AUDITFLOW_STREAM_PORT: r.port(8090),
  AUDITFLOW_STREAM_HOST: z.string().min(1).default('127.0.0.1'),
  AUDITFLOW_STREAM_TOPIC: z.string().min(1).default(TOPICS.clean),
  AUDITFLOW_STREAM_BUFFER: z.coerce
    .number({ error: 'events queued per subscriber (default 1000)' })
    .int()
    .min(10, 'at least 10 events')
    .default(1000),
  /** Bytes of frames queued per subscriber, beside the count: large events cannot exhaust memory. */
  AUDITFLOW_STREAM_BUFFER_BYTES: z.coerce
    .number({ error: 'bytes queued per subscriber (default 8388608, 8 MiB)' })
    .int()
    .min(2 * 1024 * 1024, 'at least 2097152 bytes (2 MiB): one largest event (1 MiB) must fit with room')
    .default(DEFAULT_STREAM_BUFFER_BYTES),
  AUDITFLOW_STREAM_MAX_SUBSCRIBERS: r.positiveInt(1000),
  AUDITFLOW_STREAM_MAX_CATCHUPS: r.positiveInt(32),
  AUDITFLOW_STREAM_HEARTBEAT_MS: z.coerce
    .number({ error: 'milliseconds (default 15000)' })
    .int()
    .min(100)
    .default(15_000),
  AUDITFLOW_DESTINATIONS_FILE: r.file('point it at the destinations JSON file').optional(),
  /** Where the live feed and the destinations set aside records they can never take. */
  AUDITFLOW_STREAM_DLQ_TOPIC: z.string().min(1).default(TOPICS.dlq),
  /** A stop (SIGTERM) finishes or abandons deliveries in flight and exits within this. */
  AUDITFLOW_DRAIN_TIMEOUT_MS: z.coerce
    .number({ error: 'milliseconds (default 30000)' })
    .int()
    .min(1000, 'at least 1000 ms')
    .default(30_000),
});

/** The CLI's own S3 identity (reads the archive, may create reports under _control/reports/). */
export const S3_CLI_ACCESS_KEY_ENV = 'AUDITFLOW_S3_CLI_ACCESS_KEY_ID';
export const S3_CLI_SECRET_KEY_ENV = 'AUDITFLOW_S3_CLI_SECRET_ACCESS_KEY';
/** The browser that prints PDF reports (else `chromium` on the PATH). */
export const CHROMIUM_ENV = 'AUDITFLOW_CHROMIUM';

/**
 * What the query API's evidence reports (GET /v1/reports) read besides Elasticsearch and Kafka:
 * the archive as the archive commands read it (the store with the CLI's S3 identity, the
 * verifying key, the prefix and roll window), the retention policy, the occurred_at window,
 * and the browser for PDF. All optional: without a verifying key reports are off, without a
 * browser PDF is; the service says so at start.
 */
export const queryApiReportShape = {
  ...s3SettingsShape,
  [S3_CLI_ACCESS_KEY_ENV]: note(z.string().min(1).optional(), {
    fix: `set the CLI's S3 access key, with ${S3_CLI_SECRET_KEY_ENV} (local stack: pnpm auditflow stack env)`,
  }),
  [S3_CLI_SECRET_KEY_ENV]: note(z.string().min(1).optional(), {
    fix: `set the CLI's S3 secret key, with ${S3_CLI_ACCESS_KEY_ENV}`,
    secret: true,
  }),
  AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE: archiveKeySettingsShape.AUDITFLOW_ARCHIVE_PUBLIC_KEY_FILE,
  AUDITFLOW_ARCHIVE_PREFIX: archiverSettingsShape.AUDITFLOW_ARCHIVE_PREFIX,
  AUDITFLOW_ARCHIVE_ROLL_SECONDS: archiverSettingsShape.AUDITFLOW_ARCHIVE_ROLL_SECONDS,
  AUDITFLOW_ARCHIVE_MULTIPART_MB: archiverSettingsShape.AUDITFLOW_ARCHIVE_MULTIPART_MB,
  AUDITFLOW_RETENTION_FILE: archiverSettingsShape.AUDITFLOW_RETENTION_FILE,
  ...occurredAtWindow,
  [CHROMIUM_ENV]: r
    .file(
      'point it at the Chromium executable (Debian: /usr/bin/chromium), or unset it to use chromium on the PATH',
    )
    .optional(),
};

/** Both or neither of the CLI's S3 keys (a lone one is a mistake, not the default identity). */
function bothOrNeither(a: string, b: string) {
  return (env: Record<string, unknown>, ctx: z.RefinementCtx) => {
    if ((env[a] === undefined) !== (env[b] === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [env[a] === undefined ? a : b],
        message: `not set, while ${env[a] === undefined ? b : a} is: set both ${a} and ${b}, or neither`,
      });
  };
}

export const queryApiSettings = z
  .object({
    // Kafka and the registry for the exports it audits (not a consumer: no stage settings beyond).
    KAFKA_BROKERS: stageSettingsShape.KAFKA_BROKERS,
    SCHEMA_REGISTRY_URL: stageSettingsShape.SCHEMA_REGISTRY_URL,
    ELASTICSEARCH_URL: r.httpUrl('set it to Elasticsearch, e.g. http://127.0.0.1:9200'),
    AUDITFLOW_QUERY_TOKEN: r.token().optional(),
    AUDITFLOW_QUERY_CLIENTS_FILE: r.file('point it at the query clients JSON file').optional(),
    AUDITFLOW_QUERY_PORT: r.port(8080),
    AUDITFLOW_QUERY_HOST: z.string().default('127.0.0.1'),
    AUDITFLOW_EXPORT_CAP: r.positiveInt(10_000),
    /** Rows one client may read page by page (within 15 minutes of its last page) before the walk is audited as an export. */
    AUDITFLOW_PAGING_AUDIT_ROWS: r.positiveInt(5000),
    ...spoolDir,
    /** The streamer the console's Live page reads (through this API, with the viewer's scope). */
    AUDITFLOW_STREAM_URL: r
      .httpUrl('the streamer URL, e.g. http://127.0.0.1:8090')
      .default('http://127.0.0.1:8090'),
    ...systemTenant,
    ...queryApiReportShape,
    // Erasure (POST /v1/erasures) pseudonymises with the sanitizer's key; without one it is off.
    AUDITFLOW_PSEUDONYM_KEY: sanitizerShape.AUDITFLOW_PSEUDONYM_KEY,
    AUDITFLOW_PSEUDONYM_KEY_FILE: sanitizerShape.AUDITFLOW_PSEUDONYM_KEY_FILE,
  })
  .superRefine(
    oneOf(
      'AUDITFLOW_QUERY_TOKEN',
      'AUDITFLOW_QUERY_CLIENTS_FILE',
      'set a token of 16+ characters (openssl rand -base64 24) or AUDITFLOW_QUERY_CLIENTS_FILE',
    ),
  )
  .superRefine(bothOrNeither(S3_CLI_ACCESS_KEY_ENV, S3_CLI_SECRET_KEY_ENV));

/**
 * The environment as every service reads its settings: a variable set to the empty string is
 * unset (a shell's `X=` or compose's `X: ""` means "the default", not a value that fails the rule).
 */
export function presentSettings(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

/** A service and the schema of the environment it reads at start. */
export interface ServiceSettings {
  readonly service: string;
  readonly schema: z.ZodObject;
}

/** Every service, in pipeline order (doctor reports problems in this order). */
export const SERVICE_SETTINGS: readonly ServiceSettings[] = [
  { service: 'gateway', schema: gatewaySettings },
  { service: 'sanitizer', schema: sanitizerSettings },
  { service: 'enricher', schema: enricherSettings },
  { service: 'fused', schema: fusedSettings },
  { service: 'indexer', schema: indexerSettings },
  { service: 'archiver', schema: archiverServiceSettings },
  { service: 'streamer', schema: streamerSettings },
  { service: 'query-api', schema: queryApiSettings },
];
