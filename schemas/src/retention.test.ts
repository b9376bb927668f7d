import { describe, expect, it } from 'vitest';
import { globMatch, loadRetentionPolicy, retentionFor, retentionPolicySchema } from './retention.ts';

const policy = loadRetentionPolicy();
const event = (action: string, category: string | null = null, tenant_id = 'acme') => ({
  action,
  category,
  tenant_id,
  occurred_at: Date.parse('2026-06-01T00:00:00Z'),
});

describe('retention policy', () => {
  it('gives the first matching rule its class, and the default otherwise', () => {
    expect(retentionFor(policy, event('auth.login', 'authentication'))).toMatchObject({
      retentionClass: 'extended',
      days: 1095,
    });
    expect(retentionFor(policy, event('security.config.disabled'))).toMatchObject({
      retentionClass: 'extended',
    });
    expect(retentionFor(policy, event('llm.cost.recorded'))).toMatchObject({
      retentionClass: 'short',
      days: 90,
    });
    expect(retentionFor(policy, event('jira.api.get_issue'))).toMatchObject({
      retentionClass: 'standard',
      days: 365,
      legalHold: false,
    });
  });

  it('matches tenants and reports legal holds', () => {
    const held = retentionPolicySchema.parse({
      ...policy,
      rules: [{ match: { tenant: ['globex'], action: ['git.*'] }, class: 'short' }],
      legalHolds: [
        { tenant: 'acme', from: '2026-01-01T00:00:00Z', to: '2026-12-31T00:00:00Z', reason: 'case 42' },
      ],
    });
    expect(retentionFor(held, event('git.push', null, 'globex')).retentionClass).toBe('short');
    expect(retentionFor(held, event('git.push', null, 'acme')).retentionClass).toBe('standard');
    expect(retentionFor(held, event('git.push', null, 'acme')).legalHold).toBe(true);
  });

  it('refuses a rule that names an undefined class', () => {
    expect(() =>
      retentionPolicySchema.parse({ ...policy, rules: [{ match: {}, class: 'forever' }] }),
    ).toThrow(/forever/);
  });

  it('matches wildcards only where written', () => {
    expect(globMatch('agent.flow.*', 'agent.flow.failed')).toBe(true);
    expect(globMatch('agent.flow.*', 'agent.flowx')).toBe(false);
    expect(globMatch('git.push', 'git.push.force')).toBe(false);
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('a*b*c', 'abc')).toBe(true);
    expect(globMatch('a*b*c', 'a.x.b.y.c')).toBe(true);
    expect(globMatch('a*b*c', 'ac')).toBe(false);
    expect(globMatch('ab*ba', 'aba')).toBe(false); // prefix and suffix may not overlap
    expect(globMatch('*.delete*', 'repo.deleted')).toBe(true);
    expect(globMatch('*x*x*x*y', 'x'.repeat(50_000))).toBe(false); // linear: no backtracking
    expect(globMatch('a.+(b)', 'a.+(b)')).toBe(true); // regex characters are literal
    expect(globMatch('a.*', 'abc')).toBe(false);
  });
});
