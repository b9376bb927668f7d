import { loadCatalog } from '@auditflow/schemas';
import { describe, expect, it } from 'vitest';
import { FRAMEWORK_DEFINITIONS } from './frameworks.ts';
import {
  AU3_FIELDS,
  configurationActions,
  figureDefinitions,
  intervalFor,
  missingFields,
  privilegedActions,
  scoped,
} from './queries.ts';

const catalog = loadCatalog();

describe('figure definitions from the catalog', () => {
  it('privileged actions are the catalog entries rated high or critical', () => {
    const privileged = privilegedActions(catalog);
    expect(privileged).toContain('git.push');
    expect(privileged).toContain('security.config.disabled');
    expect(privileged).not.toContain('git.fetch');
    for (const action of privileged)
      expect(['high', 'critical']).toContain(catalog.actions[action]?.severity);
  });

  it('configuration actions are the <domain>.config.<verb> ones', () => {
    expect(configurationActions(catalog)).toEqual([
      'security.config.disabled',
      'security.config.enabled',
      'security.config.updated',
    ]);
  });

  it('every figure a framework names exists, and every control is evidenced', () => {
    const ids = new Set(figureDefinitions(catalog).map((f) => f.id));
    for (const [framework, def] of Object.entries(FRAMEWORK_DEFINITIONS)) {
      expect(def.controls.length, framework).toBeGreaterThan(0);
      for (const control of def.controls) {
        expect(control.evidence.length, control.id).toBeGreaterThan(0);
        for (const e of control.evidence)
          for (const id of e.figures ?? []) expect(ids, `${control.id} ${id}`).toContain(id);
      }
    }
    expect(FRAMEWORK_DEFINITIONS.fedramp.controls.map((c) => c.id)).toEqual([
      'AU-2',
      'AU-3',
      'AU-9',
      'AU-11',
      'AU-12',
    ]);
  });

  it('scopes every query to the period and the tenant', () => {
    const q = scoped({ from: 0, to: 3_600_000, tenant: 'acme' }, { term: { x: 1 } }) as {
      bool: { filter: unknown[] };
    };
    expect(q.bool.filter).toEqual([
      {
        range: {
          '@timestamp': {
            gte: '1970-01-01T00:00:00.000Z',
            lte: '1970-01-01T01:00:00.000Z',
            format: 'strict_date_optional_time',
          },
        },
      },
      { term: { 'organization.id': 'acme' } },
      { term: { x: 1 } },
    ]);
    expect(intervalFor({ from: 0, to: 2 * 86_400_000 })).toBe('1h');
    expect(intervalFor({ from: 0, to: 3 * 86_400_000 })).toBe('1d');
  });
});

describe('AU-3 completeness', () => {
  const full = {
    '@timestamp': '2026-01-01T00:00:00Z',
    event: { id: 'e1', action: 'git.push' },
    user: { id: 'u1' },
    service: { name: 'svc' },
    audit: { outcome: 'success', actor: { ip: '203.0.113.7' } },
  };

  it('a complete document lacks nothing', () => {
    expect(missingFields(full)).toEqual([]);
    // The emitting instance answers "source" for a service without an address.
    expect(
      missingFields({
        ...full,
        audit: { outcome: 'denied' },
        service: { name: 's', node: { name: 'pod-1' } },
      }),
    ).toEqual([]);
  });

  it('names each missing field; an unknown outcome answers nothing', () => {
    expect(missingFields({ ...full, audit: { outcome: 'unknown', actor: { ip: 'x' } } })).toEqual([
      'outcome',
    ]);
    expect(missingFields({ event: { id: 'e2' } })).toEqual([
      'who',
      'what',
      'when',
      'where',
      'source',
      'outcome',
    ]);
  });

  it('has one query per question, in the order they are reported', () => {
    expect(AU3_FIELDS.map((f) => f.field)).toEqual(['who', 'what', 'when', 'where', 'source', 'outcome']);
  });
});
