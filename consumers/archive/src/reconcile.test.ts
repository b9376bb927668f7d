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
    expect(report.counts).toEqual({
      emitted: 4,
      raw: 4,
      resends: 0,
      clean: 4,
      indexed: 4,
      archived: 4,
      deadLettered: 0,
      inFlight: 0,
    });
    expect(report.summary.map((r) => [r.stage, r.tenant, r.expected, r.present])).toEqual([
      ['clean', 'acme', 4, 4],
      ['index', 'acme', 4, 4],
      ['archive', 'acme', 4, 4],
    ]);
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

  it('counts a producer resend once, as a resend, not as a second event or a gap', () => {
    // The SDK replayed e2 and e3 after an outage; the sanitizer kept one copy of each.
    const resent = [...raw, event(2), event(3)];
    // The same id under another producer is another event.
    const reuse = { ...event(1, 'p2'), sequence: 1 };
    const report = reconcileStages({
      raw: [...resent, reuse],
      undecodableRaw: [],
      clean: all,
      indexed: all,
      archived: all,
      deadById: new Map(),
      deadByRawPosition: new Map(),
    });
    // e1 under p2 counts as an event of its own (found in clean by id: an id conflict is the
    // indexer's to set aside); the two resends are neither expected again nor gaps.
    expect(report.counts).toMatchObject({ emitted: 5, raw: 7, resends: 2, clean: 5 });
    expect(report.summary.filter((r) => r.stage === 'index').map((r) => [r.expected, r.present])).toEqual([
      [5, 5],
    ]);
    expect(report.gaps).toEqual([]);
  });

  it("does not take another tenant's sequence numbers for a producer gap", () => {
    const shared = [1, 2, 3, 4].map((n) => ({
      ...event(n),
      tenant: n % 2 ? 'acme' : 'globex',
      outOfScope: n % 2 === 0,
    }));
    const acme = new Set(['e1', 'e3']);
    const report = reconcileStages({
      raw: shared,
      undecodableRaw: [],
      clean: acme,
      indexed: acme,
      archived: acme,
      deadById: new Map(),
      deadByRawPosition: new Map(),
    });
    expect(report.gaps).toEqual([]);
    expect(report.counts).toMatchObject({ emitted: 2, raw: 2, clean: 2 });
    expect(report.summary.map((r) => r.tenant)).toEqual(['acme', 'acme', 'acme']);
  });

  describe('lag or loss', () => {
    const NOW = Date.UTC(2026, 11, 1, 12);
    const at = (partition: number, offset: number, ageMs: number) => ({
      partition,
      offset: BigInt(offset),
      timestamp: NOW - ageMs,
    });
    // Five events on clean partition 0 at offsets 10..14, written 10 minutes to 1 second ago.
    const events = [1, 2, 3, 4, 5].map((n) => ({
      ...event(n),
      tenant: n % 2 ? 'acme' : 'globex',
      raw: at(0, n, 1000),
    }));
    const clean = new Map(events.map((e, i) => [e.id, at(0, 10 + i, i === 4 ? 1000 : 600_000)]));
    const base = {
      raw: events,
      undecodableRaw: [],
      clean,
      deadById: new Map(),
      deadByRawPosition: new Map(),
    };
    const allowanceMs = { clean: 60_000, index: 60_000, archive: 90_000 };

    it("counts events at or past a stage's committed position as in flight, not as gaps", () => {
      const report = reconcileStages({
        ...base,
        indexed: new Set(['e1', 'e2', 'e3']),
        archived: new Set(['e1']),
        // The indexer has committed up to offset 13, the archiver up to 11 (an open roll).
        progress: { now: NOW, indexer: new Map([[0, 13n]]), archiver: new Map([[0, 11n]]), allowanceMs },
      });
      expect(report.gaps).toEqual([]);
      expect(report.inFlight.map((f) => [f.stage, f.id])).toEqual([
        ['archive', 'e2'],
        ['archive', 'e3'],
        ['index', 'e4'],
        ['archive', 'e4'],
        ['index', 'e5'],
        ['archive', 'e5'],
      ]);
      expect(report.counts.inFlight).toBe(6);
      const archive = report.summary.filter((r) => r.stage === 'archive');
      expect(archive).toEqual([
        { stage: 'archive', tenant: 'acme', expected: 3, present: 1, deadLettered: 0, inFlight: 2, gaps: 0 },
        {
          stage: 'archive',
          tenant: 'globex',
          expected: 2,
          present: 0,
          deadLettered: 0,
          inFlight: 2,
          gaps: 0,
        },
      ]);
    });

    it('names an event behind the committed position that the stage does not hold as a gap', () => {
      const report = reconcileStages({
        ...base,
        indexed: new Set(['e1', 'e3', 'e4', 'e5']), // e2 (offset 11) is missing
        archived: new Set(['e1', 'e2', 'e3', 'e4', 'e5']),
        progress: { now: NOW, indexer: new Map([[0, 15n]]), archiver: new Map([[0, 15n]]), allowanceMs },
      });
      expect(report.inFlight).toEqual([]);
      expect(report.gaps).toEqual([expect.objectContaining({ stage: 'index', id: 'e2', tenant: 'globex' })]);
      expect(report.summary.find((r) => r.stage === 'index' && r.tenant === 'globex')).toMatchObject({
        gaps: 1,
      });
    });

    it("falls back to the allowance when a stage's position is unknown", () => {
      const report = reconcileStages({
        ...base,
        indexed: new Set(['e1', 'e2', 'e3', 'e4', 'e5']),
        archived: new Set(['e1', 'e2', 'e3']), // e4 is 10 minutes old: lost; e5 is 1 s old: in flight
        progress: { now: NOW, allowanceMs },
      });
      expect(report.gaps.map((g) => [g.stage, g.id])).toEqual([['archive', 'e4']]);
      expect(report.inFlight.map((f) => [f.stage, f.id])).toEqual([['archive', 'e5']]);
    });

    it('takes a raw event the sanitizer has not reached as in flight', () => {
      const report = reconcileStages({
        ...base,
        clean: new Map([...clean].filter(([id]) => id !== 'e5')),
        indexed: new Set(['e1', 'e2', 'e3', 'e4']),
        archived: new Set(['e1', 'e2', 'e3', 'e4']),
        progress: {
          now: NOW,
          sanitizer: new Map([[0, 5n]]),
          indexer: new Map([[0, 15n]]),
          archiver: new Map([[0, 15n]]),
          allowanceMs,
        },
      });
      expect(report.gaps).toEqual([]);
      expect(report.inFlight.map((f) => [f.stage, f.id])).toEqual([['clean', 'e5']]);
    });
  });
});
