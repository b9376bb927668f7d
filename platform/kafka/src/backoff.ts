/**
 * Retriable failures pause one partition, not the consumer (issue 14): kafkajs stops fetching a
 * paused partition and, once resumed, fetches it again from its first unresolved offset. The
 * delay doubles per failure of that partition up to a ceiling and resets on its next success.
 */
export class PartitionBackoff {
  private readonly delays = new Map<number, number>();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly minMs = 200,
    private readonly maxMs = 10_000,
  ) {}

  /** Pauses through `pause` (kafkajs' eachBatch `pause`); returns the delay before it resumes. */
  pause(partition: number, pause: () => () => void): number {
    const previous = this.delays.get(partition);
    const delay = previous === undefined ? this.minMs : Math.min(previous * 2, this.maxMs);
    this.delays.set(partition, delay);
    const resume = pause();
    clearTimeout(this.timers.get(partition));
    this.timers.set(
      partition,
      setTimeout(() => {
        this.timers.delete(partition);
        if (!this.stopped) resume();
      }, delay),
    );
    return delay;
  }

  /** Whether the partition is paused, waiting out its backoff. */
  waiting(partition: number): boolean {
    return this.timers.has(partition);
  }

  succeeded(partition: number): void {
    this.delays.delete(partition);
  }

  /** No partition resumes after this (the consumer is stopping). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
