import { describe, expect, it } from 'vitest';
import { restartDelayMs } from './supervise.ts';

describe('restartDelayMs', () => {
  it('doubles from 1 s with each restart in a row, capped at 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(restartDelayMs)).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });
});
