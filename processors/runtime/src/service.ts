import { kafkaSecurityFromEnv } from '@auditflow/producer';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { serveHealth } from './health.ts';
import { Processor, type ProcessorConfig, type Transform } from './processor.ts';

const envSchema = z.object({
  KAFKA_BROKERS: z.string().min(1, 'set it to the Kafka bootstrap servers, e.g. 127.0.0.1:9092'),
  SCHEMA_REGISTRY_URL: z.url('set it to the Confluent-compatible registry URL'),
  AUDITFLOW_INSTANCE_ID: z.string().min(1).optional(),
  /** Records larger than this go to the DLQ as `oversized` (the SDK refuses events over 900,000 bytes). */
  AUDITFLOW_MAX_EVENT_BYTES: z.coerce
    .number()
    .int()
    .min(1024, "at least 1024 bytes; the default is 1048576 (Kafka's default message size)")
    .default(1_048_576),
});

/** Reads and checks the environment once at start; each error names the variable and the fix. */
export function processorEnv(env: NodeJS.ProcessEnv = process.env): z.output<typeof envSchema> {
  const parsed = envSchema.safeParse(env);
  // Kafka's TLS/SASL settings are read where clients are made; checked here so a mistake stops the start.
  if (parsed.success) {
    kafkaSecurityFromEnv(env);
    return parsed.data;
  }
  const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new Error(
    `invalid configuration: ${lines.join('; ')} (for the local stack: eval "$(pnpm -s auditflow stack env)")`,
  );
}

/**
 * Runs a processor as a long-running service: pino logs, /healthz /readyz /metrics, and a
 * graceful stop on SIGTERM/SIGINT (the batch in progress is committed, the group is left).
 */
export async function runProcessorService(options: {
  name: string;
  healthPort: number;
  transform: Transform;
  config: Omit<ProcessorConfig, 'brokers' | 'registryUrl' | 'instanceId' | 'name'>;
}): Promise<void> {
  const logger = pino({ name: `auditflow-${options.name}` });
  const env = processorEnv();
  const registry = new Registry();
  const processor = new Processor(
    {
      ...options.config,
      name: options.name,
      brokers: env.KAFKA_BROKERS.split(','),
      registryUrl: env.SCHEMA_REGISTRY_URL,
      instanceId: env.AUDITFLOW_INSTANCE_ID,
      maxMessageBytes: env.AUDITFLOW_MAX_EVENT_BYTES,
    },
    options.transform,
    { logger, registry, onFatal: () => process.exit(1) },
  );
  const health = await serveHealth({ port: options.healthPort, registry, ready: () => processor.ready });
  await processor.start();
  logger.info({ health: health.port }, `${options.name} started`);
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    await processor.stop();
    health.server.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
