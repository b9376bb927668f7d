import { describe, expect, it } from 'vitest';
import { formatLine, SseParser, streamQuery, type TailEvent } from './tail.ts';

const event: TailEvent = {
  id: 'e1',
  occurred_at: '2026-03-01T12:34:56.789Z',
  action: 'git.push',
  outcome: 'denied',
  tenant_id: 'acme',
  actor: { type: 'user', id: 'u-1', ip: '203.0.113.7' },
  target: { type: 'repository', id: 'api' },
  error: { class: 'auth_failure', code: '403' },
  correlation_id: 'c-9',
};

describe('auditflow tail', () => {
  it('prints one readable line per event, without colour when not a TTY', () => {
    expect(formatLine(event, { colour: false })).toBe(
      '2026-03-01 12:34:56.789Z acme denied  git.push user:u-1@203.0.113.7 → repository:api [auth_failure 403] corr=c-9',
    );
    const plain = formatLine(
      { ...event, target: null, error: null, correlation_id: null },
      { colour: false },
    );
    expect(plain).toBe('2026-03-01 12:34:56.789Z acme denied  git.push user:u-1@203.0.113.7');
  });

  it('colours the outcome and action on a TTY, and strips to the same text', () => {
    const coloured = formatLine(event, { colour: true });
    expect(coloured).toContain('\x1b[33mdenied ');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI colour codes
    expect(coloured.replace(/\x1b\[\d+m/g, '')).toBe(formatLine(event, { colour: false }));
  });

  it('parses SSE frames across chunk boundaries, skipping heartbeats', () => {
    const p = new SseParser();
    expect(p.feed(': heartbeat\n\nid: A\nda')).toEqual([]);
    expect(p.feed('ta: {"x":1}\n\nid: B\nevent: overflow\ndata: {}\n\n')).toEqual([
      { id: 'A', event: 'message', data: '{"x":1}' },
      { id: 'B', event: 'overflow', data: '{}' },
    ]);
  });

  it('mirrors the stream query parameters, repeatable', () => {
    const q = streamQuery({
      action: ['git.*', 'auth.login'],
      category: [],
      actor: [],
      target: [],
      outcome: ['denied'],
      tenant: ['acme'],
    });
    expect(q.toString()).toBe('action=git.*&action=auth.login&outcome=denied&tenant_id=acme');
  });
});
