import { describe, expect, it } from 'vitest';
import { markerFingerprints, parseMarkers, redactionMarker, secretFingerprint } from './redaction.ts';

const key = Buffer.alloc(32, 7);

describe('redaction markers', () => {
  it('fingerprints are keyed, stable and short', () => {
    const a = secretFingerprint(key, 'ghp_16C7e42F292c6912E7710c838347Ae178B4a');
    expect(a).toMatch(/^[0-9a-f]{12}$/);
    expect(secretFingerprint(key, 'ghp_16C7e42F292c6912E7710c838347Ae178B4a')).toBe(a);
    expect(secretFingerprint(Buffer.alloc(32, 8), 'ghp_16C7e42F292c6912E7710c838347Ae178B4a')).not.toBe(a);
    expect(secretFingerprint(key, 'ghp_16C7e42F292c6912E7710c838347Ae178B4b')).not.toBe(a);
  });

  it('reads back what it writes, with and without a fingerprint', () => {
    const text = `a ${redactionMarker('github-token', 'abcdef012345')} b ${redactionMarker('field-name')} c ${redactionMarker('jwt', 'abcdef012345')}`;
    expect(parseMarkers(text)).toEqual([
      { rule: 'github-token', fingerprint: 'abcdef012345' },
      { rule: 'field-name', fingerprint: undefined },
      { rule: 'jwt', fingerprint: 'abcdef012345' },
    ]);
    expect(markerFingerprints(text)).toEqual(['abcdef012345']);
    expect(parseMarkers('no markers here')).toEqual([]);
  });
});
