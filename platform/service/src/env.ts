import { readFileSync } from 'node:fs';
import { ConfigError, kafkaSecurityFromEnv } from '@auditflow/kafka';
import { presentSettings, stageSettings } from '@auditflow/schemas';
import type { z } from 'zod';

/**
 * A service's settings from the environment, checked once at start against `schema`: a
 * ConfigError names every bad variable and its rule (and where the local stack's values are).
 * An empty variable is an unset one (as doctor reads it).
 */
export function readSettings<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const parsed = schema.safeParse(presentSettings(env));
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(
    `invalid configuration: ${lines.join('; ')} (for the local stack: eval "$(pnpm -s auditflow stack env)")`,
  );
}

/**
 * The settings every stage reads (processors, indexer, archiver), checked once at start; each
 * error names the variable and the fix. The schema is the one `auditflow doctor` checks
 * (@auditflow/schemas' service settings).
 */
export function stageEnv(env: NodeJS.ProcessEnv = process.env): z.output<typeof stageSettings> {
  const settings = readSettings(stageSettings, env);
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
