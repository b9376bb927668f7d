import { TOPICS } from '@auditflow/schemas';
import { z } from 'zod';
import { ConfigError, issuesText, readConfigFile } from './config-file.ts';
import { type DestinationConfig, loadDestinations } from './destinations/config.ts';
import { DEFAULT_MAX_BUFFERED_BYTES } from './subscriber.ts';
import { type StreamClient, streamClientsSchema } from './tokens.ts';

const BROKERS_FIX = 'set it to the Kafka bootstrap servers, e.g. 127.0.0.1:9092';

const envSchema = z.object({
  KAFKA_BROKERS: z.string({ error: BROKERS_FIX }).min(1, BROKERS_FIX),
  SCHEMA_REGISTRY_URL: z.url({ error: 'set it to the Confluent-compatible registry URL' }),
  AUDITFLOW_INSTANCE_ID: z.string().min(1).default('local'),
  AUDITFLOW_STREAM_TOKEN: z
    .string()
    .min(16, 'at least 16 characters (eval "$(pnpm -s auditflow stack env)" sets one)')
    .optional(),
  AUDITFLOW_STREAM_TOKENS_FILE: z.string().min(1).optional(),
  AUDITFLOW_STREAM_PORT: z.coerce
    .number({ error: 'a TCP port number (default 8090)' })
    .int()
    .min(0)
    .max(65535)
    .default(8090),
  AUDITFLOW_STREAM_HOST: z.string().min(1).default('127.0.0.1'),
  AUDITFLOW_STREAM_TOPIC: z.string().min(1).default(TOPICS.clean),
  AUDITFLOW_STREAM_BUFFER: z.coerce
    .number({ error: 'events queued per subscriber (default 1000)' })
    .int()
    .min(10, 'at least 10 events')
    .default(1000),
  /** Bytes of frames queued per subscriber, beside the count: large events cannot exhaust memory. */
  AUDITFLOW_STREAM_BUFFER_BYTES: z.coerce
    .number({ error: 'bytes queued per subscriber (default 8388608, 8 MiB)' })
    .int()
    .min(2 * 1024 * 1024, 'at least 2097152 bytes (2 MiB): one largest event (1 MiB) must fit with room')
    .default(DEFAULT_MAX_BUFFERED_BYTES),
  AUDITFLOW_STREAM_MAX_SUBSCRIBERS: z.coerce
    .number({ error: 'a number (default 1000)' })
    .int()
    .positive()
    .default(1000),
  AUDITFLOW_STREAM_MAX_CATCHUPS: z.coerce
    .number({ error: 'a number (default 32)' })
    .int()
    .positive()
    .default(32),
  AUDITFLOW_STREAM_HEARTBEAT_MS: z.coerce
    .number({ error: 'milliseconds (default 15000)' })
    .int()
    .min(100)
    .default(15_000),
  AUDITFLOW_DESTINATIONS_FILE: z.string().min(1).optional(),
  /** Where the live feed and the destinations set aside records they can never take. */
  AUDITFLOW_STREAM_DLQ_TOPIC: z.string().min(1).default(TOPICS.dlq),
  /** A stop (SIGTERM) finishes or abandons deliveries in flight and exits within this. */
  AUDITFLOW_DRAIN_TIMEOUT_MS: z.coerce
    .number({ error: 'milliseconds (default 30000)' })
    .int()
    .min(1000, 'at least 1000 ms')
    .default(30_000),
});

export type StreamerEnv = z.output<typeof envSchema>;

export interface StreamerConfig {
  readonly env: StreamerEnv;
  readonly clients: StreamClient[];
  /** Push destinations from AUDITFLOW_DESTINATIONS_FILE (none without it). */
  readonly destinations: DestinationConfig[];
}

/** Reads and checks the environment (and the tokens and destinations files) once at start. */
export function loadStreamerConfig(env: NodeJS.ProcessEnv = process.env): StreamerConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success)
    throw new ConfigError(
      `invalid configuration: ${issuesText(parsed.error)} (for the local stack: eval "$(pnpm -s auditflow stack env)")`,
    );
  const clients: StreamClient[] = [];
  if (parsed.data.AUDITFLOW_STREAM_TOKEN)
    clients.push({ id: 'local', token: parsed.data.AUDITFLOW_STREAM_TOKEN, tenants: ['*'] });
  if (parsed.data.AUDITFLOW_STREAM_TOKENS_FILE)
    clients.push(
      ...readConfigFile(
        parsed.data.AUDITFLOW_STREAM_TOKENS_FILE,
        streamClientsSchema,
        'AUDITFLOW_STREAM_TOKENS_FILE',
      ),
    );
  if (clients.length === 0)
    throw new ConfigError(
      'no stream tokens: set AUDITFLOW_STREAM_TOKEN (reads every tenant) or AUDITFLOW_STREAM_TOKENS_FILE',
    );
  const destinations = parsed.data.AUDITFLOW_DESTINATIONS_FILE
    ? loadDestinations(parsed.data.AUDITFLOW_DESTINATIONS_FILE)
    : [];
  return { env: parsed.data, clients, destinations };
}
