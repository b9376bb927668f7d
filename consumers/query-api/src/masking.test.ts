import { describe, expect, it } from 'vitest';
import { OperatorPolicy, QUERY_API_SERVICE } from './masking.ts';
import { ADMINISTRATOR } from './viewer.ts';

const doc = (type: string, id: string, service = 'svc') => ({
  '@timestamp': '2026-12-06T10:00:00.000Z',
  event: { id: 'e1', action: 'config.updated' },
  user: { id, name: `Name of ${id}`, email: `${id}@example.com` },
  source: { ip: '10.0.0.1' },
  user_agent: { original: 'curl' },
  service: { name: service },
  organization: { id: 'acme' },
  audit: { actor: { type, session_id: 's1', ip: '10.0.0.1' }, ingest: { via: 'gateway', client_id: 'ops' } },
});

describe('operator masking', () => {
  const policy = OperatorPolicy.fromEnv({ AUDITFLOW_OPERATOR_IDS: 'ops-anna, ops-ben' });

  it('hides an operator behind "an administrator", keeping what was done', () => {
    for (const operator of [
      doc('admin_action', 'root'),
      doc('user', 'ops-anna'),
      doc('service', 'auditor', QUERY_API_SERVICE),
    ]) {
      const masked = policy.maskDocument(operator);
      expect(masked.user).toEqual({ id: ADMINISTRATOR, name: ADMINISTRATOR });
      expect(masked).not.toHaveProperty('source');
      expect(masked).not.toHaveProperty('user_agent');
      expect(masked.audit.actor).toEqual({ type: operator.audit.actor.type, masked: true });
      expect(masked.audit.ingest).toEqual({ via: 'gateway' });
      expect(masked.event).toEqual(operator.event);
      expect(JSON.stringify(masked)).not.toContain(operator.user.id);
    }
  });

  it('leaves tenants own actors alone', () => {
    const user = doc('user', 'alice');
    expect(policy.maskDocument(user)).toBe(user);
    expect(policy.maskDocument(doc('service', 'ci-bot'))).toEqual(doc('service', 'ci-bot'));
  });

  it('masks live events in the JSON form the same way', () => {
    const event = {
      id: 'e1',
      action: 'config.updated',
      actor: { type: 'user', id: 'ops-ben', name: 'Ben', email: 'ben@ops', ip: '10.0.0.2' },
      service: { name: 'svc' },
      ingest: { via: 'sdk', client_id: 'p1', received_at: 1 },
    };
    const masked = policy.maskEvent(event);
    expect(masked.actor).toEqual({ type: 'user', id: ADMINISTRATOR, name: ADMINISTRATOR });
    expect(masked.ingest).toEqual({ via: 'sdk', received_at: 1 });
    const alice = { ...event, actor: { type: 'user', id: 'alice' } };
    expect(policy.maskEvent(alice)).toBe(alice);
  });

  it('states the same rule as an Elasticsearch query', () => {
    const text = JSON.stringify(policy.query());
    expect(text).toContain('"admin_action"');
    expect(text).toContain('"ops-anna","ops-ben"');
    expect(text).toContain(QUERY_API_SERVICE);
  });
});
