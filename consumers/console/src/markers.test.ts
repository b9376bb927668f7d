import { describe, expect, it } from 'vitest';
import { leaves, splitMarkers } from './markers.ts';

describe('redaction markers on the event page', () => {
  it('split text into plain pieces and markers naming the rule', () => {
    expect(splitMarkers('token=[REDACTED:github-pat:0123456789ab] and [REDACTED:password]!')).toEqual([
      { text: 'token=' },
      { rule: 'github-pat', fingerprint: '0123456789ab' },
      { text: ' and ' },
      { rule: 'password', fingerprint: undefined },
      { text: '!' },
    ]);
    expect(splitMarkers('[REDACTED:Bad Rule]')).toEqual([{ text: '[REDACTED:Bad Rule]' }]);
  });

  it('list every field of a document by its path', () => {
    expect(leaves({ a: { b: 1, c: [true, 'x'] }, d: {}, e: null })).toEqual([
      ['a.b', 1],
      ['a.c.0', true],
      ['a.c.1', 'x'],
      ['d', '{}'],
      ['e', null],
    ]);
  });
});
