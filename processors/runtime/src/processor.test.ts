import { describe, expect, it } from 'vitest';
import { chunks } from './processor.ts';

describe('chunks', () => {
  it('keeps each run under the byte limit, never empty, order preserved', () => {
    const messages = [10, 10, 10, 25, 5, 40].map((n, i) => ({ key: String(i), value: Buffer.alloc(n) }));
    const runs = chunks(messages, 30);
    expect(runs.map((r) => r.map((m) => m.key))).toEqual([['0', '1', '2'], ['3', '4'], ['5']]);
  });
});
