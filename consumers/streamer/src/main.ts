/**
 * The streamer service: live SSE/WebSocket subscribers (L1–L3) on AUDITFLOW_STREAM_PORT (8090)
 * with /healthz, /readyz and /metrics on the same port, and the push destinations of
 * AUDITFLOW_DESTINATIONS_FILE (L4), each on its own consumer group.
 */
import { runService } from '@auditflow/service';
import { collectDefaultMetrics } from 'prom-client';
import { loadStreamerConfig } from './config.ts';
import { Destinations, describeTarget } from './destinations/index.ts';
import { StreamHub } from './hub.ts';
import { createStreamServer } from './server.ts';

await runService({
  name: 'auditflow-streamer',
  settings: () => loadStreamerConfig(),
  // No health port: /healthz, /readyz and /metrics are on the stream port.
  drainTimeoutMs: ({ env }) => env.AUDITFLOW_DRAIN_TIMEOUT_MS,
  create: ({ settings: config, logger, registry, onFatal }) => {
    const { env } = config;
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
      { logger, registry, onFatal },
    );
    const destinations = new Destinations(config.destinations, {
      brokers: env.KAFKA_BROKERS.split(','),
      registryUrl: env.SCHEMA_REGISTRY_URL,
      topic: env.AUDITFLOW_STREAM_TOPIC,
      dlqTopic: env.AUDITFLOW_STREAM_DLQ_TOPIC,
      logger,
      registry,
      onFatal,
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
    return {
      get ready() {
        return destinations.ready;
      },
      async start() {
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
      },
      async stop() {
        await server.close(); // no new subscribers; the connected ones are closed and resume elsewhere
        // Sends in flight finish (or are abandoned past their timeout), backoffs are cut short;
        // what was delivered is committed, the rest is read again by the next start.
        await destinations.stop();
        await hub.stop();
      },
    };
  },
});
