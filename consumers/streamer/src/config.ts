import { presentSettings, streamerSettings } from '@auditflow/schemas';
import type { z } from 'zod';
import { ConfigError, issuesText, readConfigFile } from './config-file.ts';
import { type DestinationConfig, loadDestinations } from './destinations/config.ts';
import { type StreamClient, streamClientsSchema } from './tokens.ts';

/** The streamer's environment: declared with every service's in @auditflow/schemas (doctor checks it). */
const envSchema = streamerSettings;

export type StreamerEnv = z.output<typeof envSchema>;

export interface StreamerConfig {
  readonly env: StreamerEnv;
  readonly clients: StreamClient[];
  /** Push destinations from AUDITFLOW_DESTINATIONS_FILE (none without it). */
  readonly destinations: DestinationConfig[];
}

/** Reads and checks the environment (and the tokens and destinations files) once at start. */
export function loadStreamerConfig(env: NodeJS.ProcessEnv = process.env): StreamerConfig {
  const parsed = envSchema.safeParse(presentSettings(env));
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
