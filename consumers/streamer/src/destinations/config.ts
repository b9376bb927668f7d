import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, readConfigFile } from '../config-file.ts';
import type { Filters } from '../filters.ts';

/**
 * The destinations file (AUDITFLOW_DESTINATIONS_FILE, YAML or JSON), checked once at start.
 * Secrets are written inline or, better, as `{ env: NAME }`; files (TLS keys, CAs) are read
 * here so a missing one stops the start, not the first delivery.
 */
const FIX_SECRET = 'a secret of at least 16 characters, or { env: VARIABLE } naming one';

/** A value inline or from an environment variable; resolved while parsing so errors name the field. */
const fromEnv = (minLength: number, fix: string) =>
  z
    .union([z.string(), z.strictObject({ env: z.string().min(1) })], { error: fix })
    .transform((value, ctx) => {
      const text = typeof value === 'string' ? value : process.env[value.env];
      if (text === undefined) {
        const name = (value as { env: string }).env;
        ctx.addIssue({ code: 'custom', message: `environment variable ${name} is not set` });
        return z.NEVER;
      }
      if (text.length < minLength) {
        ctx.addIssue({ code: 'custom', message: fix });
        return z.NEVER;
      }
      return text;
    });
const secret = fromEnv(16, FIX_SECRET);

const fileText = z
  .string()
  .min(1)
  .transform((path, ctx) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `${path} cannot be read: ${(err as Error).message}` });
      return z.NEVER;
    }
  });

const values = z
  .union([z.string().min(1), z.array(z.string().min(1).max(512)).min(1).max(64)])
  .transform((v) => (typeof v === 'string' ? [v] : v));
const filters = z
  .strictObject({
    action: values.optional(),
    category: values.optional(),
    actor: values.optional(),
    target: values.optional(),
    outcome: z
      .union([
        z.enum(['success', 'failure', 'denied', 'unknown']),
        z.array(z.enum(['success', 'failure', 'denied', 'unknown'])),
      ])
      .transform((v) => (typeof v === 'string' ? [v] : v))
      .optional(),
    tenant_id: values.optional(),
  })
  .default({});

const common = {
  name: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9-]{0,62}$/,
      'lower-case letters, digits and dashes (it names the Kafka consumer group)',
    ),
  filters,
  /** Where a destination seen for the first time starts; afterwards its committed position. */
  start: z.enum(['latest', 'earliest']).default('latest'),
  batch_size: z.number().int().min(1).max(10_000).optional(),
  retry: z
    .strictObject({
      initial_ms: z.number().int().min(10).default(500),
      max_ms: z.number().int().min(100).default(60_000),
    })
    .default({ initial_ms: 500, max_ms: 60_000 }),
  breaker: z
    .strictObject({
      failures: z.number().int().min(1).default(5),
      cooldown_ms: z.number().int().min(100).default(30_000),
    })
    .default({ failures: 5, cooldown_ms: 30_000 }),
};

const webhook = z.strictObject({
  ...common,
  type: z.literal('webhook'),
  url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
  /** One secret, or two during a rotation (the new one first); each request carries a signature per secret. */
  secrets: z.array(secret).min(1, 'at least one signing secret').max(2, 'at most two secrets (old and new)'),
  /** Extra request headers (e.g. the SIEM's own auth); values are treated as secrets. */
  headers: z
    .record(
      z.string().regex(/^[A-Za-z0-9-]+$/, 'a header name'),
      fromEnv(1, 'a header value, or { env: VARIABLE }'),
    )
    .default({}),
  format: z.enum(['json', 'ocsf']).default('json'),
  timeout_ms: z.number().int().min(100).default(10_000),
  ca_file: fileText.optional(),
});

const syslog = z.strictObject({
  ...common,
  type: z.literal('syslog'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  transport: z.enum(['tcp', 'tls']).default('tls'),
  format: z.enum(['json', 'cef', 'ocsf']).default('json'),
  /** RFC 5424 facility; 13 is "log audit". */
  facility: z.number().int().min(0).max(23).default(13),
  app_name: z.string().min(1).max(48).default('auditflow'),
  hostname: z.string().min(1).max(255).optional(),
  bom: z.boolean().default(true),
  timeout_ms: z.number().int().min(100).default(10_000),
  tls: z
    .strictObject({
      ca_file: fileText.optional(),
      cert_file: fileText.optional(),
      key_file: fileText.optional(),
      servername: z.string().min(1).optional(),
      reject_unauthorized: z.boolean().default(true),
    })
    .default({ reject_unauthorized: true }),
});

export const destinationsFileSchema = z
  .strictObject({ destinations: z.array(z.discriminatedUnion('type', [webhook, syslog])) })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    for (const [i, d] of file.destinations.entries()) {
      if (seen.has(d.name))
        ctx.addIssue({
          code: 'custom',
          path: ['destinations', i, 'name'],
          message: `${d.name} is used twice`,
        });
      seen.add(d.name);
      if (d.type === 'syslog' && d.tls.cert_file !== undefined && d.tls.key_file === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['destinations', i, 'tls', 'key_file'],
          message: 'cert_file needs key_file',
        });
    }
  });

export type DestinationConfig = z.output<typeof destinationsFileSchema>['destinations'][number];
export type WebhookConfig = Extract<DestinationConfig, { type: 'webhook' }>;
export type SyslogConfig = Extract<DestinationConfig, { type: 'syslog' }>;

export function loadDestinations(path: string): DestinationConfig[] {
  const file = readConfigFile(path, destinationsFileSchema, 'AUDITFLOW_DESTINATIONS_FILE');
  return file.destinations;
}

export function filtersOf(config: DestinationConfig): Filters {
  return config.filters;
}

/** Where a destination sends, for logs and errors: never credentials, query strings or secrets. */
export function describeTarget(config: DestinationConfig): string {
  if (config.type === 'syslog') return `syslog+${config.transport}://${config.host}:${config.port}`;
  const url = new URL(config.url);
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export { ConfigError };
