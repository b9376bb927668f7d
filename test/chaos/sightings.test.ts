import { describe, expect, it } from 'vitest';
import { judgeStage } from './accounting.ts';
import { IdTable, Sightings } from './sightings.ts';

describe('Sightings', () => {
  it('counts each id by its number in the shared table, and tells unseen ids apart', () => {
    const ids = new IdTable();
    const a = new Sightings(ids);
    const b = new Sightings(ids);
    a.see('x');
    a.see('y');
    a.see('x');
    b.see('y');
    expect(a.get('x')).toBe(2);
    expect(a.get('y')).toBe(1);
    expect(b.get('x')).toBeUndefined();
    expect(b.has('y')).toBe(true);
    expect(a.has('never')).toBe(false);
    expect(ids.numberOf('never')).toBeUndefined(); // asking does not number an id
    expect([...a.entries()]).toEqual([
      ['x', 2],
      ['y', 1],
    ]);
    expect([...b.entries()]).toEqual([['y', 1]]);
    expect([...a.values()]).toEqual([2, 1]);
    expect(a.size).toBe(2);
    expect(b.size).toBe(1);
    expect(a.missing(['x', 'z'])).toEqual(['z']);
  });

  it('grows past its first allocation and saturates a count at 255 (still a duplicate)', () => {
    const ids = new IdTable();
    const seen = new Sightings(ids);
    for (let i = 0; i < 5000; i++) seen.see(`id-${i}`);
    for (let i = 0; i < 300; i++) seen.see('id-4999');
    expect(seen.size).toBe(5000);
    expect(seen.get('id-0')).toBe(1);
    expect(seen.get('id-4999')).toBe(255);
    expect(ids.size).toBe(5000);
  });
});

describe('judgeStage', () => {
  it('counts lost, duplicated, in-doubt delivered and unexpected ids', () => {
    const ids = new IdTable();
    const seen = new Sightings(ids);
    const acked = new Map([
      ['a', 1],
      ['b', 1],
      ['c', 1],
    ]);
    const inDoubt = new Set(['d', 'e']);
    for (const id of ['a', 'b', 'b', 'd', 'z']) seen.see(id);
    const verdict = judgeStage(acked, inDoubt, seen);
    expect(verdict).toMatchObject({ lost: 1, duplicated: 1, inDoubtDelivered: 1, unexpected: 1 });
    expect(verdict.examples).toEqual({ lost: ['c'], duplicated: ['b'], unexpected: ['z'] });
  });
});
