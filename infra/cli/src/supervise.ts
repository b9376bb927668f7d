import type { StackEnv, StackPaths } from '@auditflow/stack';
import { tail } from '@auditflow/stack';
import { type PipelineService, serviceLog, servicePid, startService } from './pipeline.ts';

/** How often the supervisor looks at the services' pids. */
const CHECK_EVERY_MS = 2000;
/** A service that ran this long since its last start is healthy again: its backoff starts over. */
const STABLE_AFTER_MS = 60_000;

/**
 * The wait before the next restart of a service that exited `consecutive` times without running
 * a minute in between: 1 s, 2 s, 4 s ... at most 30 s, as a crash loop must not spin.
 */
export function restartDelayMs(consecutive: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, consecutive - 1));
}

/**
 * Restarts the services `auditflow up` started when one exits while it holds the foreground,
 * as docker compose's `restart: unless-stopped` does: the services exit on purpose when they
 * cannot go on (a consumer kafkajs gave up on, a fatal configuration), trusting a supervisor to
 * start them again, and without one an `up` would sit with a stage missing. `--detach` has no
 * supervisor (the README says so).
 */
export class Supervisor {
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private stopped = false;
  private readonly history = new Map<string, { startedAt: number; consecutive: number; notBefore: number }>();

  constructor(
    private readonly services: readonly PipelineService[],
    private readonly paths: StackPaths,
    private readonly env: StackEnv,
    private readonly say: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    const at = this.now();
    for (const s of this.services) this.history.set(s.name, { startedAt: at, consecutive: 0, notBefore: 0 });
    this.timer = setInterval(() => {
      this.checking ??= this.check().finally(() => {
        this.checking = undefined;
      });
    }, CHECK_EVERY_MS);
  }

  /** Stops watching; waits for a restart in progress so the caller can stop what it started. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.checking;
  }

  private async check(): Promise<void> {
    for (const service of this.services) {
      if (this.stopped) return;
      if (servicePid(service, this.paths) !== undefined) continue;
      const h = this.history.get(service.name) ?? { startedAt: 0, consecutive: 0, notBefore: 0 };
      const now = this.now();
      if (now < h.notBefore) continue;
      const consecutive = now - h.startedAt >= STABLE_AFTER_MS ? 1 : h.consecutive + 1;
      const log = serviceLog(this.paths, service.name);
      this.say(
        `${service.name} exited; restarting it (restart ${consecutive} in a row). Last log lines (${log}):\n${tail(log, 5)}`,
      );
      try {
        await startService(service, this.paths, this.env, this.say);
      } catch (err) {
        this.say(`${service.name}: restart failed: ${(err as Error).message.split('\n')[0]}`);
      }
      this.history.set(service.name, {
        startedAt: this.now(),
        consecutive,
        notBefore: this.now() + restartDelayMs(consecutive),
      });
    }
  }
}
