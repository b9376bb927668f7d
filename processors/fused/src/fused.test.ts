import { enrichEvent, enricherContextFromEnv } from '@auditflow/enricher';
import { createSanitizerContext, sanitizeEvent } from '@auditflow/sanitizer';
import { type AuditEvent, auditEventType, toAuditEvent } from '@auditflow/schemas';
import { describe, expect, it } from 'vitest';
import { fusedTransform } from './fused.ts';

const sanitizer = createSanitizerContext({
  pseudonymKey: Buffer.alloc(32, 7),
  redactionKey: Buffer.alloc(32, 9),
});
const enricher = enricherContextFromEnv();
const NOW = 1_780_000_000_000;

function event(i: number, details: Record<string, unknown>): AuditEvent {
  return toAuditEvent(
    {
      tenant_id: 'acme',
      actor: {
        id: `user-${i}`,
        type: 'user',
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        ip: '10.1.2.3',
      },
      action: i % 2 ? 'git.push' : 'auth.login',
      target: { type: 'repository', id: `repo-${i}` },
      outcome: 'success',
      service: { name: 'gitlab' },
      details,
    },
    {
      id: `01a20ce8-9421-762f-8562-${String(i).padStart(12, '0')}`,
      occurredAt: NOW - 1000,
      producerId: 'p',
      sequence: i,
    },
  );
}

const inputs = [
  event(1, { note: 'nothing secret here', count: 3 }),
  event(2, { password: 'hunter2-correct-horse', token: 'ghp_0123456789abcdefghijABCDEFGHIJ012345' }),
  event(3, { message: 'login with aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }),
];

describe('fused sanitizer + enricher', () => {
  it('writes to clean what the split stages write, field for field (fingerprint included)', () => {
    const fused = fusedTransform(sanitizer, enricher, () => NOW);
    for (const input of inputs) {
      const out = fused(input);
      if (out.kind !== 'forward') throw new Error(`expected forward, got ${out.kind}`);
      // The split path: the sanitized event crosses audit.sanitized.v1 as Avro, then is enriched.
      const sanitized = auditEventType.fromBuffer(auditEventType.toBuffer(sanitizeEvent(input, sanitizer)));
      const split = enrichEvent(sanitized as AuditEvent, enricher, NOW);
      expect(auditEventType.toBuffer(out.event).equals(auditEventType.toBuffer(split))).toBe(true);
      expect(out.event.enrichment?.fingerprint).toBe(split.enrichment?.fingerprint);
    }
  });

  it('redacts before it enriches: no secret in the output, the fingerprint is over the redacted event', () => {
    const out = fusedTransform(sanitizer, enricher, () => NOW)(inputs[1] as AuditEvent);
    if (out.kind !== 'forward') throw new Error('expected forward');
    const text = JSON.stringify(auditEventType.toBuffer(out.event).toString('latin1'));
    expect(text).not.toContain('hunter2-correct-horse');
    expect(text).not.toContain('ghp_0123456789abcdefghijABCDEFGHIJ012345');
    expect(out.event.enrichment?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('throws where either stage throws, so the processor quarantines the raw event', () => {
    const broken = fusedTransform(sanitizer, { ...enricher, catalog: undefined as never }, () => NOW);
    expect(() => broken(inputs[0] as AuditEvent)).toThrow();
  });
});
