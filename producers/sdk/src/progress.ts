import { setTimeout as sleep } from 'node:timers/promises';
import { SpoolFullError } from './spool.ts';

/**
 * Callers waiting for a sequence number to be reached (acknowledged by Kafka, written by a local
 * sink), released in order as it advances.
 */
export class SequenceWaiters {
  private waiting: { readonly sequence: number; readonly resolve: () => void }[] = [];

  /** Resolves once `release` has passed `sequence` (`through` is how far it is now). */
  until(sequence: number, through: number): Promise<void> {
    if (through >= sequence) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ sequence, resolve }));
  }

  /** Everything up to `through` is done. */
  release(through: number): void {
    if (this.waiting.length === 0) return;
    const still: typeof this.waiting = [];
    for (const waiter of this.waiting) {
      if (waiter.sequence <= through) waiter.resolve();
      else still.push(waiter);
    }
    this.waiting = still;
  }
}

/** Whether `done` settles within `timeoutMs`; the timer neither keeps the process alive nor outlives it. */
export async function within(done: Promise<void>, timeoutMs: number): Promise<boolean> {
  const timer = new AbortController();
  const timeout = sleep(timeoutMs, 'timeout' as const, { signal: timer.signal, ref: false }).catch(
    () => 'done' as const,
  );
  const result = await Promise.race([done.then(() => 'done' as const), timeout]);
  timer.abort();
  return result === 'done';
}

/**
 * `attempt` again each time it throws SpoolFullError and `room` gives a wait for room (undefined:
 * do not wait, the error stands); any other error stands.
 */
export async function whenRoom<T>(attempt: () => T, room: () => Promise<void> | undefined): Promise<T> {
  for (;;) {
    try {
      return attempt();
    } catch (err) {
      const wait = err instanceof SpoolFullError ? room() : undefined;
      if (!wait) throw err;
      await wait;
    }
  }
}
