import { homedir } from 'node:os';
import { join } from 'node:path';
import { createAuditProducer, kafkaSecurityFromEnv } from '@auditflow/producer';
import { gatewaySettings } from '@auditflow/schemas';
import { readSettings, runService, stageEnv } from '@auditflow/service';
import { gatewayConfigFromEnv, resolveGatewayConfig } from './config.ts';
import { createGateway } from './server.ts';

await runService({
  name: 'auditflow-gateway',
  settings: () => ({
    // Every variable against the gateway's declared rules (the ones doctor checks), then read.
    declared: readSettings(gatewaySettings),
    base: stageEnv(),
    gateway: resolveGatewayConfig(gatewayConfigFromEnv(process.env)),
    spoolDir: process.env.AUDITFLOW_SPOOL_DIR ?? join(homedir(), '.cache', 'auditflow', 'spool', 'gateway'),
  }),
  // No health port of the shell's: /healthz, /readyz and /metrics are on the gateway's own port.
  create: ({ settings: { base, gateway: config, spoolDir }, logger, registry }) => {
    const producer = createAuditProducer(
      {
        brokers: base.KAFKA_BROKERS.split(','),
        schemaRegistryUrl: base.SCHEMA_REGISTRY_URL,
        clientId: 'auditflow-gateway',
        security: kafkaSecurityFromEnv(),
        spool: { dir: spoolDir },
      },
      { logger: logger.child({ component: 'producer' }), metricsRegistry: registry },
    );
    const gateway = createGateway({ config, producer, logger, registry });
    return {
      // Its own /readyz answers for it (not ready while draining).
      ready: true,
      async start() {
        const address = await gateway.listen();
        logger.info(
          { address: `${address.address}:${address.port}`, clients: config.clients.length },
          'gateway listening',
        );
      },
      async stop() {
        // Requests in flight are answered; what was accepted is in the spool and goes on sending.
        await gateway.close();
        await producer.close();
      },
    };
  },
});
