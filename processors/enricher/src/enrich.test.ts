import { createHash } from 'node:crypto';
import { loadCatalog, loadRetentionPolicy, toAuditEvent, toJsonForm } from '@auditflow/schemas';
import { describe, expect, it } from 'vitest';
import { enrichEvent, fingerprint, loadMetadata } from './enrich.ts';

const ctx = { catalog: loadCatalog(), retention: loadRetentionPolicy(), metadata: loadMetadata() };
const event = (action: string, extra: object = {}) =>
  toAuditEvent(
    {
      action,
      actor: { type: 'user', id: 'ada' },
      outcome: 'success',
      tenant_id: 'acme',
      service: { name: 'review-bot' },
      details: { b: 1, a: [2, 'x'] },
      ...extra,
    },
    {
      id: '0192f7a4-6b1e-7c3d-9a4b-8c2d1e0f3a5b',
      occurredAt: Date.parse('2026-11-24T10:00:00Z'),
      producerId: 'p',
      sequence: 1,
    },
  );

describe('enrichEvent', () => {
  it('adds catalog tags, retention, metadata and processing time', () => {
    const out = enrichEvent(event('git.push'), ctx, 1_800_000_000_000);
    expect(out.enrichment).toMatchObject({
      processed_at: 1_800_000_000_000,
      known_action: true,
      category: 'git',
      severity: 'high',
      retention_class: 'extended',
      retention_days: 1095,
      legal_hold: false,
      tenant_name: 'Acme Corporation',
      service_owner: 'platform-team',
    });
    expect(out.enrichment?.compliance).toContain('SOC2:CC7.2');
  });

  it('accepts and flags an unknown action', () => {
    const out = enrichEvent(event('acme.widget.frobbed'), ctx);
    expect(out.enrichment).toMatchObject({
      known_action: false,
      severity: null,
      retention_class: 'standard',
    });
  });

  it('fingerprints the RFC 8785 canonical JSON, independent of key order and enrichment', () => {
    const e = event('git.push');
    const json = toJsonForm(e);
    const { enrichment: _e, ...rest } = json;
    // Independent reimplementation of JCS for this shape: keys sorted at every level.
    const sortKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sortKeys)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
            )
          : v;
    const expected = createHash('sha256')
      .update(JSON.stringify(sortKeys(rest)))
      .digest('hex');
    expect(fingerprint(e)).toBe(expected);
    expect(enrichEvent(e, ctx).enrichment?.fingerprint).toBe(expected);
    expect(fingerprint(enrichEvent(e, ctx))).toBe(expected);
    expect(fingerprint(event('git.push', { outcome: 'failure' }))).not.toBe(expected);
  });
});
