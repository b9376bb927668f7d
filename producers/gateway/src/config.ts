import { readFileSync } from 'node:fs';
import { ConfigError } from '@auditflow/producer';
import {
  DEFAULT_OCCURRED_AT_WINDOW,
  DEFAULT_SYSTEM_TENANT,
  occurredAtWindowFromEnv,
  parseDuration,
  systemTenantFromEnv,
  TENANT_ID_PATTERN,
  TENANT_ID_RULE,
} from '@auditflow/schemas';
import { z } from 'zod';
import type { GatewayClient } from './auth.ts';

const clientSchema = z
  .strictObject({
    id: z.string().min(1),
    token: z.string().min(16, 'tokens must be at least 16 characters').optional(),
    hmacSecret: z.string().min(16, 'HMAC secrets must be at least 16 characters').optional(),
    tenants: z.array(z.string().min(1)).default([]),
    eventsPerSecond: z.number().positive().default(5000),
    burst: z.number().positive().default(10000),
  })
  .refine((c) => c.token || c.hmacSecret, 'a client needs a token or an hmacSecret');

export const gatewayConfigSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8070),
  clients: z
    .array(clientSchema)
    .min(1, 'no clients: set AUDITFLOW_GATEWAY_TOKEN or AUDITFLOW_GATEWAY_CLIENTS_FILE'),
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(5 * 2 ** 20),
  maxBatch: z.number().int().positive().default(1000),
  signatureWindowSeconds: z.number().positive().default(300),
  /** HMAC nonces remembered (each for 2 × the signature window); beyond it signed requests get 503. */
  replayCacheSize: z.number().int().positive().default(100_000),
  /** Failed authentications are audited once per client and reason per this interval, with a count. */
  authFailureIntervalSeconds: z.number().positive().default(60),
  /** `occurred_at` must lie within this window around the time the request was received. */
  occurredAtWindow: z
    .strictObject({ aheadMs: z.number().positive(), behindMs: z.number().positive() })
    .default(DEFAULT_OCCURRED_AT_WINDOW),
  /** The pipeline's own tenant: the gateway audits itself there, clients may not write it. */
  selfTenant: z.string().regex(TENANT_ID_PATTERN, TENANT_ID_RULE).default(DEFAULT_SYSTEM_TENANT),
});

/** How often failed authentications are audited (a duration: `60s`, `5m`). */
export const AUTH_FAILURE_INTERVAL_ENV = 'AUDITFLOW_GATEWAY_AUTH_FAILURE_INTERVAL';

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;

export function resolveGatewayConfig(
  input: GatewayConfigInput,
): GatewayConfig & { clients: GatewayClient[] } {
  const parsed = gatewayConfigSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new ConfigError(`invalid gateway configuration: ${lines.join('; ')}`);
  }
  return parsed.data;
}

/** Configuration from the environment (and the optional clients file). */
export function gatewayConfigFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayConfigInput {
  const clients: unknown[] = [];
  if (env.AUDITFLOW_GATEWAY_TOKEN) clients.push({ id: 'local', token: env.AUDITFLOW_GATEWAY_TOKEN });
  const file = env.AUDITFLOW_GATEWAY_CLIENTS_FILE;
  if (file) {
    let listed: unknown;
    try {
      listed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(
        `AUDITFLOW_GATEWAY_CLIENTS_FILE=${file} cannot be read as JSON: ${(err as Error).message}`,
      );
    }
    if (!Array.isArray(listed))
      throw new ConfigError(`AUDITFLOW_GATEWAY_CLIENTS_FILE=${file} must hold a JSON array of clients`);
    clients.push(...listed);
  }
  const interval = env[AUTH_FAILURE_INTERVAL_ENV];
  const intervalMs = interval ? parseDuration(interval) : undefined;
  if (interval && !intervalMs) {
    throw new ConfigError(
      `${AUTH_FAILURE_INTERVAL_ENV}=${JSON.stringify(interval)} is not a positive duration: use e.g. 60s or 5m`,
    );
  }
  return {
    host: env.AUDITFLOW_GATEWAY_HOST,
    port: env.AUDITFLOW_GATEWAY_PORT ? Number(env.AUDITFLOW_GATEWAY_PORT) : undefined,
    clients: clients as GatewayConfigInput['clients'],
    selfTenant: systemTenantFromEnv(env),
    occurredAtWindow: occurredAtWindowFromEnv(env),
    authFailureIntervalSeconds: intervalMs ? intervalMs / 1000 : undefined,
  };
}
