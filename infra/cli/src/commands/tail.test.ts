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

  it('shows control characters, ANSI escapes and bidi overrides in event fields escaped', () => {
    const hostile: TailEvent = {
      ...event,
      tenant_id: 'acme\x1b[2J',
      action: 'git.push\r2026-03-01 acme success admin.login',
      actor: { type: 'user', id: 'u-1\u202egnp.exe', ip: '203.0.113.7\n' },
      target: { type: 'repository', id: 'api\u009b31m' },
      error: { class: 'auth_failure\x07', code: '4\u200b03' },
      correlation_id: 'c-9\x1b]0;title\x07',
    };
    for (const colour of [false, true]) {
      const line = formatLine(hostile, { colour });
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping our own colour codes
      const text = line.replace(/\x1b\[\d+m/g, '');
      // biome-ignore lint/suspicious/noControlCharactersInRegex: no raw control may be left
      expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b\u202e]/);
      expect(text).toContain('acme\\x1b[2J');
      expect(text).toContain('git.push\\r2026-03-01');
      expect(text).toContain('u-1\\u202egnp.exe@203.0.113.7\\n');
      expect(text).toContain('repository:api\\x9b31m');
      expect(text).toContain('[auth_failure\\x07 4\\u200b03]');
      expect(text).toContain('corr=c-9\\x1b]0;title\\x07');
    }
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
