import { describe, expect, it } from 'vitest';
import { formatRow } from './query.ts';

describe('auditflow search / trace rows', () => {
  it('prints one aligned row per document', () => {
    expect(
      formatRow({
        '@timestamp': '2026-03-01T12:00:00.000Z',
        event: { action: 'git.push' },
        audit: { outcome: 'success', target: { type: 'repository', id: 'api' } },
        user: { id: 'ada' },
        organization: { id: 'acme' },
        service: { name: 'forge' },
      }),
    ).toBe(
      `2026-03-01T12:00:00.000Z  success  ${'git.push'.padEnd(32)}  ${'acme/ada'.padEnd(24)}  ${'repository:api'.padEnd(24)}  forge`,
    );
  });

  it('escapes control characters, ANSI escapes and bidi overrides in every field', () => {
    const row = formatRow({
      '@timestamp': '2026\r',
      event: { action: 'git.push\x1b[8m' },
      audit: { outcome: 'success\n', target: { type: 'repo\u2066', id: 'api\u202e' } },
      user: { id: 'ada\x7f' },
      organization: { id: 'acme\u0085' },
      service: { name: 'forge\x1b]0;x\x07' },
    });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no raw control may be left
    expect(row).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2066\u202e]/);
    for (const shown of [
      '2026\\r',
      'git.push\\x1b[8m',
      'success\\n',
      'repo\\u2066:api\\u202e',
      'acme\\x85/ada\\x7f',
      'forge\\x1b]0;x\\x07',
    ])
      expect(row).toContain(shown);
  });
});
