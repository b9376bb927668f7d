import { ConfigError } from '@auditflow/kafka';
import { type Logger, pino } from 'pino';
import { Registry } from 'prom-client';
import { serveHealth } from './health.ts';

/** What a service main declares: something that starts, says whether it is ready, and stops. */
export interface Service {
  readonly ready: boolean;
  start(): Promise<void>;
  /** Graceful: finish or abandon what is in flight, commit what is done, leave the groups. */
  stop(): Promise<void>;
}

/** Where a consume loop reports progress per input partition (the health server's stall check). */
export interface ProgressReporter {
  progress(partition: number, events?: number): void;
  input(partition: number, pending: number): void;
  forget(partition: number): void;
}

export interface ServiceContext<S> {
  /** What `settings()` returned, read and checked before anything started. */
  readonly settings: S;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly progress: ProgressReporter;
  /** Kafka gave up for good: the process exits 1 and its supervisor restarts it. */
  readonly onFatal: (err: Error) => void;
}

export interface ServiceOptions<S> {
  /** The logger's name, e.g. `auditflow-indexer`. */
  readonly name: string;
  /** Reads and checks the settings (e.g. with `readSettings`); whatever it throws ends the start with its message. */
  readonly settings: () => S;
  /** Port of /healthz /readyz /metrics; omitted when the service serves them itself (the streamer). */
  readonly healthPort?: (settings: S) => number;
  /** Longest a stop may take before the process exits 1 anyway (default 60 s). */
  readonly drainTimeoutMs?: (settings: S) => number;
  /**
   * Optional parts the settings leave off (e.g. no key for one endpoint): logged once at start as
   * warnings naming the setting and what is off; the service starts without them.
   */
  readonly warnings?: (settings: S) => readonly SettingWarning[];
  /** Builds the service; a ConfigError here too ends the start with its message. */
  create(context: ServiceContext<S>): Service | Promise<Service>;
}

/** A setting left unset that turns a part of the service off. */
export interface SettingWarning {
  /** The variable that turns it on. */
  readonly setting: string;
  /** What is off, and how to turn it on. */
  readonly message: string;
}

const DEFAULT_DRAIN_TIMEOUT_MS = 60_000;
const NO_PROGRESS: ProgressReporter = { progress() {}, input() {}, forget() {} };

/**
 * The one service shell (issue 16): pino logs, a metrics registry, /healthz /readyz /metrics,
 * settings errors printed as one plain line naming the setting (exit 1), and on SIGTERM or
 * SIGINT a graceful stop under a watchdog: a stuck broker or store must not keep a stopping
 * process alive forever, its supervisor restarts it. Each service's main is a declaration.
 */
export async function runService<S>(options: ServiceOptions<S>): Promise<void> {
  const logger = pino({ name: options.name });
  const registry = new Registry();
  let service: Service | undefined;
  let settings: S;
  const onFatal = (err: Error): void => {
    logger.fatal({ err: err.message }, 'cannot go on; exiting for the supervisor to restart');
    process.exit(1);
  };
  /** Plain text for the operator starting it; the message names the setting and the fix. */
  const refuse = (err: unknown): never => {
    process.stderr.write(`${options.name}: ${(err as Error).message}\n`);
    process.exit(1);
  };
  try {
    settings = options.settings();
  } catch (err) {
    // Whatever reading the settings throws is a settings problem (files, keys, values).
    return refuse(err);
  }
  for (const warning of options.warnings?.(settings) ?? [])
    logger.warn({ setting: warning.setting }, `${warning.setting}: ${warning.message}`);
  let health: Awaited<ReturnType<typeof serveHealth>> | undefined;
  try {
    if (options.healthPort) {
      const port = options.healthPort(settings);
      health = await serveHealth({ port, registry, ready: () => service?.ready ?? false });
    }
    service = await options.create({ settings, logger, registry, progress: health ?? NO_PROGRESS, onFatal });
  } catch (err) {
    // By name too: a package may still have its own ConfigError class.
    if (!(err instanceof ConfigError) && (err as Error).name !== 'ConfigError') throw err;
    return refuse(err);
  }
  await service.start();
  logger.info({ health: health?.port }, 'started');

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const drainTimeoutMs = options.drainTimeoutMs?.(settings) ?? DEFAULT_DRAIN_TIMEOUT_MS;
    logger.info({ signal, drain_timeout_ms: drainTimeoutMs }, 'draining');
    setTimeout(() => {
      logger.error({ drain_timeout_ms: drainTimeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, drainTimeoutMs).unref();
    await service?.stop();
    health?.server.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
