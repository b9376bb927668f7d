import { ConfigError } from '@auditflow/kafka';
import { readSettings, runService, stageEnv } from '@auditflow/service';
import type { Transform } from '@auditflow/stage';
import { z } from 'zod';
import { Processor, type ProcessorConfig } from './processor.ts';

/** What a processor's main declares: its transform and where it reads and writes. */
export interface ProcessorDeclaration {
  readonly transform: Transform;
  readonly config: Omit<
    ProcessorConfig,
    'brokers' | 'registryUrl' | 'instanceId' | 'name' | 'maxMessageBytes'
  >;
}

/**
 * Runs a processor as a long-running service (the shell is `runService`: logs, /healthz /readyz
 * /metrics on AUDITFLOW_HEALTH_PORT, a graceful stop on SIGTERM/SIGINT: the batch in progress is
 * committed, the group is left). `declare` reads the stage's own settings (policies, keys) once,
 * before anything connects; what it throws is reported as a settings error naming the setting.
 */
export function runProcessorService(options: {
  name: string;
  /** AUDITFLOW_HEALTH_PORT when not set. */
  healthPort: number;
  /** The stage's environment schema (@auditflow/schemas' service settings, which doctor checks). */
  settings?: z.ZodType;
  declare: (env: NodeJS.ProcessEnv) => ProcessorDeclaration;
}): Promise<void> {
  const portSettings = z.object({
    AUDITFLOW_HEALTH_PORT: z.coerce.number().int().min(0).max(65_535).default(options.healthPort),
  });
  return runService({
    name: `auditflow-${options.name}`,
    settings: () => {
      if (options.settings) readSettings(options.settings);
      const base = { ...stageEnv(), ...readSettings(portSettings) };
      try {
        return { ...base, declared: options.declare(process.env) };
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        throw new ConfigError(`${options.name}: ${(err as Error).message}`);
      }
    },
    healthPort: (env) => env.AUDITFLOW_HEALTH_PORT,
    create: ({ settings: env, logger, registry, progress, onFatal }) =>
      new Processor(
        {
          ...env.declared.config,
          name: options.name,
          brokers: env.KAFKA_BROKERS.split(','),
          registryUrl: env.SCHEMA_REGISTRY_URL,
          instanceId: env.AUDITFLOW_INSTANCE_ID,
          maxMessageBytes: env.AUDITFLOW_MAX_EVENT_BYTES,
        },
        env.declared.transform,
        { logger, registry, onFatal, progress },
      ),
  });
}
