import { loadCatalog, validateEvent } from '@auditflow/schemas';
import { describe, expect, it } from 'vitest';
import { demoEvent } from './demo.ts';

describe('demo traffic', () => {
  const events = Array.from({ length: 120 }, (_, i) => demoEvent(i));

  it('is valid, and every action is in the catalog', () => {
    const catalog = loadCatalog();
    for (const event of events) {
      expect(validateEvent(event), event.action).toEqual([]);
      expect(catalog.actions[event.action], event.action).toBeDefined();
    }
  });

  it('covers the SPEC domains, failures and invalid signatures included, with planted secrets', () => {
    const actions = new Set(events.map((e) => e.action));
    for (const a of [
      'chatops.approval.approved',
      'git.push',
      'agent.flow.failed',
      'auth.webhook.hmac_invalid',
      'security.config.updated',
      'auth.rate_limited',
      'security.prompt_injection.blocked',
    ]) {
      expect(actions.has(a), a).toBe(true);
    }
    expect(JSON.stringify(events)).toContain('glpat-');
  });
});
