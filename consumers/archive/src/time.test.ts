import { describe, expect, it } from 'vitest';
import { parseWhen } from './time.ts';

describe('parseWhen', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  it('reads ISO times, now and ages', () => {
    expect(parseWhen('2026-11-24T10:00:00Z', '--from', now)).toBe(Date.parse('2026-11-24T10:00:00Z'));
    expect(parseWhen('2026-11-24', '--from', now)).toBe(Date.parse('2026-11-24T00:00:00Z'));
    expect(parseWhen('now', '--to', now)).toBe(now);
    expect(parseWhen('2h', '--from', now)).toBe(now - 7_200_000);
    expect(parseWhen('7d', '--from', now)).toBe(now - 7 * 86_400_000);
  });
  it('names the option and the accepted forms', () => {
    expect(() => parseWhen('yesterday', '--from', now)).toThrow(
      /--from: 'yesterday' is not a time; give ISO 8601/,
    );
  });
});
