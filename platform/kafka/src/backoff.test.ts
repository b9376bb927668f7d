import { describe, expect, it, vi } from 'vitest';
import { PartitionBackoff } from './backoff.ts';

describe('PartitionBackoff', () => {
  it('doubles the pause per failure of a partition up to the ceiling and resets on success', () => {
    vi.useFakeTimers();
    try {
      const backoff = new PartitionBackoff(100, 350);
      const resumed: number[] = [];
      const pauseOf = (p: number) => () => () => void resumed.push(p);
      expect([1, 2, 3, 4].map(() => backoff.pause(0, pauseOf(0)))).toEqual([100, 200, 350, 350]);
      expect(backoff.pause(1, pauseOf(1))).toBe(100); // partitions are independent
      expect(backoff.waiting(0)).toBe(true);
      vi.advanceTimersByTime(350);
      expect(resumed).toEqual([1, 0]); // one resume per partition, after its latest delay
      expect(backoff.waiting(0)).toBe(false);
      backoff.succeeded(0);
      expect(backoff.pause(0, pauseOf(0))).toBe(100);
      backoff.stop();
      vi.advanceTimersByTime(10_000);
      expect(resumed).toEqual([1, 0]); // nothing resumes after stop
    } finally {
      vi.useRealTimers();
    }
  });
});
