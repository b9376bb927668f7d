import { describe, expect, it } from 'vitest';
import { KnownClean } from './known-clean.ts';

describe('KnownClean', () => {
  it('stays within its bound and keeps what repeats while unique strings pass through', () => {
    const clean = new KnownClean(8, 64);
    clean.add('git.push');
    for (let i = 0; i < 100; i++) {
      clean.add(`id-${i}`);
      // Every event carries the action again: the sanitizer asks, and it is still known.
      expect(clean.has('git.push')).toBe(true);
      expect(clean.size).toBeLessThanOrEqual(8);
    }
    expect(clean.has('git.push')).toBe(true);
    expect(clean.has('id-0')).toBe(false); // long gone
    expect(clean.has('id-99')).toBe(true);
  });

  it('moves a string seen again from the old generation back to the young one', () => {
    const clean = new KnownClean(4, 64); // two per generation
    clean.add('a');
    clean.add('b');
    clean.add('c'); // young {c}, old {a, b}
    expect(clean.has('a')).toBe(true); // back to young {c, a}
    clean.add('d'); // young {d}, old {c, a}
    expect(clean.has('a')).toBe(true);
    expect(clean.has('b')).toBe(false);
  });

  it('does not keep strings longer than its length bound, and can be switched off', () => {
    const clean = new KnownClean(10, 8);
    clean.add('x'.repeat(9));
    expect(clean.has('x'.repeat(9))).toBe(false);
    const off = new KnownClean(0);
    off.add('abc');
    expect(off.has('abc')).toBe(false);
  });
});
