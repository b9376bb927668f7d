import { describe, expect, it } from 'vitest';
import { ending, kindOf, touchedObjects } from './timeline.ts';

const doc = (action: string, extra: object = {}) => ({
  event: { action },
  audit: { outcome: 'success' },
  ...extra,
});

describe('session timeline', () => {
  it('tells lifecycle, tool calls, API calls and authorization decisions apart', () => {
    expect(kindOf(doc('agent.flow.started'))).toBe('lifecycle');
    expect(kindOf(doc('agent.flow.plan_generated'))).toBe('lifecycle');
    expect(kindOf(doc('agent.tool.invoked'))).toBe('tool call');
    expect(kindOf(doc('gitlab.api.post_mr_note'))).toBe('API call');
    expect(kindOf(doc('auth.webhook.verify'))).toBe('authorization');
    expect(kindOf(doc('chatops.approval.approved'))).toBe('authorization');
    expect(kindOf({ event: { action: 'x.y' }, audit: { outcome: 'denied' } })).toBe('authorization');
    expect(kindOf(doc('misc.thing'))).toBe('other');
  });

  it('collects the objects touched, once each, and how the session ended', () => {
    const docs = [
      doc('agent.flow.started'),
      doc('git.push', { audit: { target: { type: 'commit', id: 'abc123' } } }),
      doc('gitlab.api.post_mr_note', { audit: { target: { type: 'note', id: 9 } } }),
      doc('agent.flow.completed', {
        audit: {
          details: {
            resources_created: [
              { type: 'merge_request', iid: 42 },
              { type: 'commit', id: 'abc123' },
            ],
          },
        },
      }),
    ];
    expect(touchedObjects(docs).map((o) => `${o.type}:${o.id}`)).toEqual([
      'commit:abc123',
      'note:9',
      'merge_request:42',
    ]);
    expect(ending(docs).status).toBe('completed');
    expect(ending(docs.slice(0, 2)).status).toBe('running');
    expect(ending([doc('agent.flow.failed')]).status).toBe('failed');
  });
});
