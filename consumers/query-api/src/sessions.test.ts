import { describe, expect, it } from 'vitest';
import { sessionStatus, summarizeSessions } from './sessions.ts';

describe('sessions', () => {
  it('take their status from the latest lifecycle action', () => {
    expect(sessionStatus('agent.flow.started')).toBe('running');
    expect(sessionStatus('agent.flow.resumed')).toBe('running');
    expect(sessionStatus('agent.flow.paused')).toBe('paused');
    expect(sessionStatus('agent.flow.completed')).toBe('completed');
    expect(sessionStatus('chatops.task.failed')).toBe('failed');
    expect(sessionStatus(undefined)).toBe('running');
  });

  it('join lifecycle buckets with the counts of all their events', () => {
    const first = Date.parse('2026-12-06T10:00:00Z');
    const [session] = summarizeSessions(
      [
        {
          key: 'corr-1',
          first: { value: first },
          last: { value: first + 60_000 },
          opening: {
            hits: {
              hits: [
                {
                  _source: {
                    event: { action: 'agent.flow.started' },
                    user: { id: 'alice' },
                    audit: { actor: { type: 'agent' } },
                    organization: { id: 'acme' },
                  },
                },
              ],
            },
          },
          latest: { hits: { hits: [{ _source: { event: { action: 'agent.flow.failed' } } }] } },
        },
      ],
      [
        {
          key: 'corr-1',
          doc_count: 7,
          last: { value: first + 90_000 },
          outcomes: {
            buckets: [
              { key: 'success', doc_count: 5 },
              { key: 'failure', doc_count: 2 },
            ],
          },
        },
      ],
      (d) => ({ ...d, user: { id: 'masked' } }),
    );
    expect(session).toEqual({
      id: 'corr-1',
      status: 'failed',
      started_at: '2026-12-06T10:00:00.000Z',
      last_event_at: '2026-12-06T10:01:30.000Z',
      duration_ms: 90_000,
      actor: { id: 'masked', name: undefined, type: 'agent' },
      tenant_id: 'acme',
      opened_by: 'agent.flow.started',
      latest_action: 'agent.flow.failed',
      events: 7,
      failures: 2,
      denials: 0,
    });
  });
});
