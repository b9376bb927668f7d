/**
 * A gateway process for crash tests: the real gateway and SDK producer, with a spool bounded at
 * <max bytes> so a test can fill it, one token client ('crash', tenant acme). Prints
 * "listening" once it accepts requests. Usage:
 *   node --import tsx --conditions=auditflow-source gateway-child.ts <spool dir> <brokers> <registry url> <topic> <max bytes> <port> <token>
 */
import { createGateway, resolveGatewayConfig } from '@auditflow/gateway';
import { createAuditProducer } from '@auditflow/producer';
import { pino } from 'pino';
import { Registry } from 'prom-client';

const [dir, brokers, registryUrl, topic, maxBytes, port, token] = process.argv.slice(2);
if (!dir || !brokers || !registryUrl || !topic || !maxBytes || !port || !token)
  throw new Error('usage: gateway-child <spool> <brokers> <registry> <topic> <max bytes> <port> <token>');

const logger = pino({ level: 'warn' }, process.stderr);
const registry = new Registry();
const producer = createAuditProducer(
  {
    brokers: brokers.split(','),
    schemaRegistryUrl: registryUrl,
    topic,
    spool: { dir, maxBytes: Number(maxBytes) },
    retry: { initialMs: 100, maxMs: 500 },
  },
  { logger, metricsRegistry: registry },
);
const config = resolveGatewayConfig({
  host: '127.0.0.1',
  port: Number(port),
  clients: [{ id: 'crash', token, tenants: ['acme'] }],
});
await createGateway({ config, producer, logger, registry }).listen();
process.stdout.write('listening\n');
