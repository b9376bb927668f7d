import { homedir } from 'node:os';
import { join } from 'node:path';
import { createAuditProducer, kafkaSecurityFromEnv } from '@auditflow/producer';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { gatewayConfigFromEnv, resolveGatewayConfig } from './config.ts';
import { createGateway } from './server.ts';

const logger = pino({ name: 'auditflow-gateway' });
const env = process.env;
for (const key of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL'] as const) {
  if (!env[key]) {
    logger.fatal(`${key} is not set: run eval "$(pnpm -s auditflow stack env)" or set it to your cluster`);
    process.exit(2);
  }
}
const config = resolveGatewayConfig(gatewayConfigFromEnv(env));
const registry = new Registry();
const producer = createAuditProducer(
  {
    brokers: (env.KAFKA_BROKERS as string).split(','),
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL as string,
    clientId: 'auditflow-gateway',
    security: kafkaSecurityFromEnv(env),
    spool: { dir: env.AUDITFLOW_SPOOL_DIR ?? join(homedir(), '.cache', 'auditflow', 'spool', 'gateway') },
  },
  { logger: logger.child({ component: 'producer' }), metricsRegistry: registry },
);
const gateway = createGateway({ config, producer, logger, registry });
const address = await gateway.listen();
logger.info(
  { address: `${address.address}:${address.port}`, clients: config.clients.length },
  'gateway listening',
);

let stopping = false;
const shutdown = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'draining');
  await gateway.close();
  await producer.close();
  logger.info('stopped');
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
