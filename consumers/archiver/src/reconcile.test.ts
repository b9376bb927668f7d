import { describe, expect, it } from 'vitest';
import { type EmittedEvent, reconcileStages } from './reconcile.ts';

const event = (n: number, producer = 'p1'): EmittedEvent => ({
  id: `e${n}`,
  tenant: 'acme',
  producer,
  sequence: n,
});

describe('reconcileStages', () => {
  const raw = [1, 2, 3, 4].map((n) => event(n));
  const all = new Set(raw.map((e) => e.id));

  it('reports no gap when every event reached every stage', () => {
    const report = reconcileStages({
      raw,
      undecodableRaw: [],
      clean: all,
      indexed: all,
      archived: all,
      deadById: new Map(),
      deadByRawPosition: new Map(),
    });
    expect(report.gaps).toEqual([]);
    expect(report.counts).toEqual({ emitted: 4, raw: 4, clean: 4, indexed: 4, archived: 4, deadLettered: 0 });
  });

  it('accounts for dead-lettered events with their reason and names every gap', () => {
    const report = reconcileStages({
      raw: [...raw, event(7), { ...event(1, 'p2'), id: 'x1' }],
      undecodableRaw: ['raw/0/17', 'raw/1/3'],
      clean: new Set(['e1', 'e2', 'e4', 'e7']),
      indexed: new Set(['e1', 'e4', 'e7']),
      archived: new Set(['e1', 'e2', 'e4']),
      deadById: new Map([['e3', { stage: 'sanitizer', reason: 'quarantined' }]]),
      deadByRawPosition: new Map([['raw/0/17', { stage: 'sanitizer', reason: 'wrong_magic_byte' }]]),
    });
    expect(report.counts).toMatchObject({ emitted: 10, raw: 8, clean: 4, deadLettered: 2 });
    expect(report.deadLetterReasons).toEqual({
      'sanitizer: quarantined': 1,
      'sanitizer: wrong_magic_byte': 1,
    });
    expect(report.gaps.map((g) => [g.stage, g.id ?? g.detail])).toEqual([
      ['index', 'e2'],
      ['archive', 'e7'],
      ['clean', 'x1'],
      ['producer', 'producer p1: sequence 5-6 never reached the raw topic'],
      ['raw', 'raw record raw/1/3 does not decode and has no DLQ record'],
    ]);
  });
});
