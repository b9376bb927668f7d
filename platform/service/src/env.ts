import { readFileSync } from 'node:fs';
import { ConfigError, kafkaSecurityFromEnv } from '@auditflow/kafka';
import { z } from 'zod';

const envSchema = z.object({
  KAFKA_BROKERS: z
    .string('set it to the Kafka bootstrap servers, e.g. 127.0.0.1:9092')
    .min(1, 'set it to the Kafka bootstrap servers, e.g. 127.0.0.1:9092'),
  SCHEMA_REGISTRY_URL: z.url('set it to the Confluent-compatible registry URL'),
  AUDITFLOW_INSTANCE_ID: z.string().min(1).optional(),
  /** Records larger than this go to the DLQ as `oversized` (the SDK refuses events over 900,000 bytes). */
  AUDITFLOW_MAX_EVENT_BYTES: z.coerce
    .number()
    .int()
    .min(1024, "at least 1024 bytes; the default is 1048576 (Kafka's default message size)")
    .default(1_048_576),
});

/**
 * A service's settings from the environment, checked once at start against `schema`: a
 * ConfigError names every bad variable and its rule (and where the local stack's values are).
 */
export function readSettings<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(
    `invalid configuration: ${lines.join('; ')} (for the local stack: eval "$(pnpm -s auditflow stack env)")`,
  );
}

/**
 * The settings every stage reads (processors, indexer, archiver), checked once at start; each
 * error names the variable and the fix.
 */
export function stageEnv(env: NodeJS.ProcessEnv = process.env): z.output<typeof envSchema> {
  const settings = readSettings(envSchema, env);
  // Kafka's TLS/SASL settings are read where clients are made; checked here so a mistake stops the start.
  kafkaSecurityFromEnv(env);
  return settings;
}

/**
 * A secret setting given as `NAME` or as `NAME_FILE` (a path, as compose's secrets volume and
 * Kubernetes mount them): the value, trimmed, or undefined when neither is set. Both set, or an
 * unreadable file, is a ConfigError naming the setting (never the value).
 */
export function secretSetting(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  const file = env[`${name}_FILE`];
  if (value && file) throw new ConfigError(`set ${name} or ${name}_FILE, not both`);
  if (value) return value;
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(
      `${name}_FILE=${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}
