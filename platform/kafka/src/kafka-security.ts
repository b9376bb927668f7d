import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { z } from 'zod';
import { ConfigError } from './errors.ts';

/** How a Kafka client authenticates and encrypts: what kafkajs takes as `ssl` and `sasl`. */
export interface KafkaSecurity {
  readonly ssl?: ConnectionOptions | boolean;
  readonly sasl?: SASLOptions;
}

const flag = z.enum(['true', 'false'], "'true' or 'false'");
const envSchema = z.object({
  KAFKA_SSL: flag.optional(),
  KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
  KAFKA_SSL_CERT_FILE: z.string().min(1).optional(),
  KAFKA_SSL_KEY_FILE: z.string().min(1).optional(),
  KAFKA_SSL_REJECT_UNAUTHORIZED: flag.default('true'),
  KAFKA_SASL_MECHANISM: z
    .enum(['plain', 'scram-sha-256', 'scram-sha-512'], 'plain, scram-sha-256 or scram-sha-512')
    .optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD_FILE: z.string().min(1).optional(),
});

function readSetting(setting: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${setting}=${path} cannot be read: ${(err as Error).message}`);
  }
}

/**
 * TLS and SASL for every Kafka client (SDK, processors, consumers, CLI) from one set of
 * settings: KAFKA_SSL, KAFKA_SSL_CA_FILE, KAFKA_SSL_CERT_FILE + KAFKA_SSL_KEY_FILE (mutual TLS),
 * KAFKA_SSL_REJECT_UNAUTHORIZED, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and
 * KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE). Nothing set: plaintext, as the local stack.
 * Errors name the setting and the fix; the password never appears in them.
 */
export function kafkaSecurityFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaSecurity {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`invalid Kafka security setting ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const e = parsed.data;
  const tlsWanted =
    e.KAFKA_SSL === 'true' || (e.KAFKA_SSL === undefined && (e.KAFKA_SSL_CA_FILE ?? e.KAFKA_SSL_CERT_FILE));
  if (e.KAFKA_SSL === 'false' && (e.KAFKA_SSL_CA_FILE || e.KAFKA_SSL_CERT_FILE || e.KAFKA_SSL_KEY_FILE))
    throw new ConfigError('KAFKA_SSL=false but KAFKA_SSL_*_FILE is set: remove one of them');
  if (!!e.KAFKA_SSL_CERT_FILE !== !!e.KAFKA_SSL_KEY_FILE)
    throw new ConfigError('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (mutual TLS): set both');

  let ssl: ConnectionOptions | undefined;
  if (tlsWanted) {
    ssl = { rejectUnauthorized: e.KAFKA_SSL_REJECT_UNAUTHORIZED === 'true' };
    if (e.KAFKA_SSL_CA_FILE) ssl.ca = [readSetting('KAFKA_SSL_CA_FILE', e.KAFKA_SSL_CA_FILE)];
    if (e.KAFKA_SSL_CERT_FILE && e.KAFKA_SSL_KEY_FILE) {
      ssl.cert = readSetting('KAFKA_SSL_CERT_FILE', e.KAFKA_SSL_CERT_FILE);
      ssl.key = readSetting('KAFKA_SSL_KEY_FILE', e.KAFKA_SSL_KEY_FILE);
    }
  }

  let sasl: SASLOptions | undefined;
  if (e.KAFKA_SASL_MECHANISM) {
    if (!e.KAFKA_SASL_USERNAME)
      throw new ConfigError(`KAFKA_SASL_MECHANISM=${e.KAFKA_SASL_MECHANISM} needs KAFKA_SASL_USERNAME`);
    const password =
      e.KAFKA_SASL_PASSWORD ??
      (e.KAFKA_SASL_PASSWORD_FILE
        ? readSetting('KAFKA_SASL_PASSWORD_FILE', e.KAFKA_SASL_PASSWORD_FILE).trim()
        : undefined);
    if (!password)
      throw new ConfigError(
        `KAFKA_SASL_MECHANISM=${e.KAFKA_SASL_MECHANISM} needs KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE`,
      );
    sasl = { mechanism: e.KAFKA_SASL_MECHANISM, username: e.KAFKA_SASL_USERNAME, password } as SASLOptions;
  } else if (e.KAFKA_SASL_USERNAME || e.KAFKA_SASL_PASSWORD || e.KAFKA_SASL_PASSWORD_FILE) {
    throw new ConfigError('KAFKA_SASL_USERNAME/PASSWORD are set but KAFKA_SASL_MECHANISM is not: set it');
  }
  return { ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}
