import { randomBytes } from 'node:crypto';
import {
  type AuditEvent,
  parseMarkers,
  secretFingerprint,
  toAuditEvent,
  toJsonForm,
} from '@auditflow/schemas';
import { describe, expect, it } from 'vitest';
import { forbiddenFragments, ORDINARY_VALUES, secretEvents } from '../../../test/support/secret-corpus.ts';
import { createSanitizerContext } from './context.ts';
import { mask, pseudonymise } from './policy.ts';
import { SanitizeBudgetError, sanitizeEvent } from './sanitize.ts';

const ctx = createSanitizerContext({ pseudonymKey: randomBytes(32), redactionKey: randomBytes(32) });
const record = (input: unknown, i = 1): AuditEvent =>
  toAuditEvent(input, {
    id: `0192f7a4-6b1e-7c3d-9a4b-00000000000${i}`,
    occurredAt: 1,
    producerId: 'p',
    sequence: i,
  });

describe('sanitizeEvent', () => {
  const sanitized = secretEvents().map((e, i) => sanitizeEvent(record(e, i), ctx));
  const text = JSON.stringify(sanitized.map(toJsonForm));

  it('leaves no planted secret, nor a long fragment of one, anywhere in the event', () => {
    const leaked = forbiddenFragments().filter((f) => text.includes(f));
    expect(leaked).toEqual([]);
  });

  it('keeps ordinary audit values byte for byte', () => {
    for (const [name, value] of Object.entries(ORDINARY_VALUES)) expect(text, name).toContain(value);
  });

  it('gives a string seen before the same result, found or clean, and reports each time', () => {
    const fresh = createSanitizerContext({ pseudonymKey: randomBytes(32), redactionKey: randomBytes(32) });
    const event = (i: number) =>
      record(
        {
          action: 'deploy.run',
          outcome: 'success',
          actor: { type: 'service', id: 'ci' },
          tenant_id: 'acme',
          service: { name: 'ci' },
          details: {
            note: 'Looks good to me. Consider the retry policy.',
            cmd: 'export API_TOKEN=Zq8vT2mLx9Rk4sW7',
          },
        },
        i,
      );
    const first = sanitizeEvent(event(1), fresh);
    const second = sanitizeEvent(event(2), fresh);
    for (const out of [first, second]) {
      expect(out.details).toContain('Looks good to me. Consider the retry policy.');
      expect(out.details).not.toContain('Zq8vT2mLx9Rk4sW7');
      expect(out.sanitization?.findings.map((f) => f.path)).toContain('details.cmd');
    }
    expect(second.details).toBe(first.details);
    // Only the clean strings are remembered; the one with the secret never is.
    expect(fresh.knownClean?.texts.has('Looks good to me. Consider the retry policy.')).toBe(true);
    expect(fresh.knownClean?.texts.has('export API_TOKEN=Zq8vT2mLx9Rk4sW7')).toBe(false);
  });

  it('records which rules fired where, never the values', () => {
    const report = sanitized[0]?.sanitization;
    expect(report?.ruleset_version).toBe(ctx.ruleset.version);
    const fired = report?.findings.map((f) => `${f.rule}@${f.path}`) ?? [];
    expect(fired).toEqual(
      expect.arrayContaining([
        'field-name@details.request.headers.Authorization',
        'field-name@details.request.headers.Cookie',
        'field-name@target.attributes.private_token',
        'aws-access-key-id@details.env_dump',
        'github-token@details.env_dump',
      ]),
    );
    expect(JSON.stringify(report)).not.toContain('ghp_');
  });

  it('applies the PII policy: pseudonymise e-mail and name (stable), mask IPs', () => {
    const [first, second] = sanitized;
    expect(first?.actor.email).toBe(pseudonymise(ctx.pseudonymKey, 'bot@example.com'));
    expect(second?.actor.name).toBe(pseudonymise(ctx.pseudonymKey, 'Ada Lovelace'));
    expect(first?.actor.ip).toBe('203.0.113.0');
    expect(second?.actor.ip).toBe('2001:db8:85a3::');
    expect(second?.sanitization?.pii_actions).toEqual(
      expect.arrayContaining([
        { path: 'actor.email', action: 'pseudonymise' },
        { path: 'actor.ip', action: 'mask' },
      ]),
    );
  });

  it('follows per-tenant overrides', () => {
    const policy = {
      ...ctx.policy,
      tenants: { globex: { fields: { 'actor.email': 'drop' as const, 'actor.name': 'keep' as const } } },
    };
    const [, push] = secretEvents('globex');
    const out = sanitizeEvent(record(push), { ...ctx, policy });
    expect(out.actor.email).toBeNull();
    expect(out.actor.name).toBe('Ada Lovelace');
  });

  it('truncates free text after redaction and says where', () => {
    const long = record({
      ...secretEvents()[2],
      details: { reasoning: `token=abcdefghijkl ${'x'.repeat(5000)}` },
    });
    const out = sanitizeEvent(long, ctx);
    const reasoning = (JSON.parse(out.details as string) as { reasoning: string }).reasoning;
    expect(reasoning).toMatch(/^token=\[REDACTED:key-value-secret:[0-9a-f]{12}\] xxx/);
    expect(reasoning.length).toBeLessThan(2100);
    expect(out.sanitization?.truncated_paths).toEqual(['details.reasoning']);
  });

  it('throws (so the runtime quarantines) on what it cannot process', () => {
    const broken = { ...record(secretEvents()[0]), details: '{"unterminated": ' };
    expect(() => sanitizeEvent(broken, ctx)).toThrow();
  });

  it('masks in ways an analyst can still use', () => {
    expect(mask('ada@example.com')).toBe('a***@example.com');
    expect(mask('10.1.2.3')).toBe('10.1.2.0');
  });

  it('fingerprints every marker with the redaction key over the exact secret', () => {
    const out = sanitizeEvent(
      record({ ...secretEvents()[2], details: { note: 'password=Tr0ub4dor&3xyz ok' } }),
      ctx,
    );
    const [marker] = parseMarkers(out.details as string);
    expect(marker).toEqual({
      rule: 'key-value-secret',
      fingerprint: secretFingerprint(ctx.redactionKey, 'Tr0ub4dor&3xyz'),
    });
  });

  it('redacts by key words in details, target attributes, changes and header objects', () => {
    const out = sanitizeEvent(
      record({
        ...secretEvents()[2],
        target: { type: 'db', id: 'orders', attributes: { DB_PASSWORD: 'pg-secret-1', token_count: '12' } },
        changes: [
          { field: 'mysqlRootPassword', before: 'old-secret-1', after: 'new-secret-2' },
          { field: 'password_policy', before: 'lax', after: 'strict' },
        ],
        details: {
          env: [
            { name: 'STRIPE_API_KEY', value: 'stripe-value-1' },
            { name: 'LOG_LEVEL', value: 'debug' },
          ],
          headers: [
            ['X-Vault-Token', 'vault-value-1'],
            ['Accept', 'text/plain'],
          ],
          config: { credentials: { user: 'svc', pin: 1234, enabled: true }, max_tokens: 4096 },
        },
      }),
      ctx,
    );
    const text = JSON.stringify(toJsonForm(out));
    for (const secret of [
      'pg-secret-1',
      'old-secret-1',
      'new-secret-2',
      'stripe-value-1',
      'vault-value-1',
      '1234',
    ])
      expect(text, secret).not.toContain(secret);
    for (const kept of [
      '"12"',
      'strict',
      'debug',
      'text/plain',
      '4096',
      'LOG_LEVEL',
      'STRIPE_API_KEY',
      'true',
    ])
      expect(text, kept).toContain(kept);
  });

  it('quarantines (throws) an event that outlasts its time budget instead of holding the partition', () => {
    const slow = createSanitizerContext(
      { pseudonymKey: ctx.pseudonymKey, redactionKey: ctx.redactionKey },
      {},
      0,
    );
    const many = record({
      ...secretEvents()[2],
      details: { items: Array.from({ length: 100 }, (_, i) => `item ${i}`) },
    });
    expect(() => sanitizeEvent(many, slow)).toThrow(SanitizeBudgetError);
  });
});
