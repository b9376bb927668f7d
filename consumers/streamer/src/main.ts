/**
 * The streamer service: live SSE/WebSocket subscribers (L1–L3) on AUDITFLOW_STREAM_PORT (8090)
 * with /healthz, /readyz and /metrics on the same port, and the push destinations of
 * AUDITFLOW_DESTINATIONS_FILE (L4), each on its own consumer group.
 */
import { pino } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadStreamerConfig, type StreamerConfig } from './config.ts';
import { ConfigError } from './config-file.ts';
import { Destinations, describeTarget } from './destinations/index.ts';
import { StreamHub } from './hub.ts';
import { createStreamServer } from './server.ts';

const logger = pino({ name: 'auditflow-streamer' });

let config: StreamerConfig;
try {
  config = loadStreamerConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // Plain text for the operator starting it; the message names the setting and the fix.
  process.stderr.write(`auditflow-streamer: ${err.message}\n`);
  process.exit(1);
}
const { env } = config;

const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'auditflow_streamer_' });
const hub = new StreamHub(
  {
    brokers: env.KAFKA_BROKERS.split(','),
    registryUrl: env.SCHEMA_REGISTRY_URL,
    topic: env.AUDITFLOW_STREAM_TOPIC,
    maxBuffered: env.AUDITFLOW_STREAM_BUFFER,
    maxBufferedBytes: env.AUDITFLOW_STREAM_BUFFER_BYTES,
    maxSubscribers: env.AUDITFLOW_STREAM_MAX_SUBSCRIBERS,
    maxCatchUps: env.AUDITFLOW_STREAM_MAX_CATCHUPS,
    instanceId: env.AUDITFLOW_INSTANCE_ID,
    dlqTopic: env.AUDITFLOW_STREAM_DLQ_TOPIC,
  },
  { logger, registry, onFatal: () => process.exit(1) },
);
const destinations = new Destinations(config.destinations, {
  brokers: env.KAFKA_BROKERS.split(','),
  registryUrl: env.SCHEMA_REGISTRY_URL,
  topic: env.AUDITFLOW_STREAM_TOPIC,
  dlqTopic: env.AUDITFLOW_STREAM_DLQ_TOPIC,
  logger,
  registry,
  onFatal: () => process.exit(1),
});
const server = createStreamServer({
  config: {
    host: env.AUDITFLOW_STREAM_HOST,
    port: env.AUDITFLOW_STREAM_PORT,
    clients: config.clients,
    heartbeatMs: env.AUDITFLOW_STREAM_HEARTBEAT_MS,
    socketBufferBytes: 1024 * 1024,
  },
  hub,
  logger,
  registry,
  ready: () => destinations.ready,
});

await hub.start();
await destinations.start();
const address = await server.listen();
// Client ids only: tokens are secrets.
logger.info(
  {
    address: `${address.address}:${address.port}`,
    topic: env.AUDITFLOW_STREAM_TOPIC,
    clients: config.clients.map((c) => c.id),
    destinations: config.destinations.map((d) => `${d.name} -> ${describeTarget(d)}`),
  },
  'streamer listening',
);

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'draining');
  // A stuck broker must not keep a stopping process alive forever; the supervisor restarts it.
  setTimeout(() => {
    logger.error({ drain_timeout_ms: env.AUDITFLOW_DRAIN_TIMEOUT_MS }, 'shutdown took too long; exiting');
    process.exit(1);
  }, env.AUDITFLOW_DRAIN_TIMEOUT_MS).unref();
  await server.close(); // no new subscribers; the connected ones are closed and resume elsewhere
  // Deliveries in flight are aborted, backoffs cut short; what was delivered is committed, the
  // rest is read again by the next start.
  await destinations.stop();
  await hub.stop();
  logger.info('stopped');
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
