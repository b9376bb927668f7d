import { serveHealth, stageEnv } from '@auditflow/service';
import type { Transform } from '@auditflow/stage';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Processor, type ProcessorConfig } from './processor.ts';

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
  const env = stageEnv();
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
