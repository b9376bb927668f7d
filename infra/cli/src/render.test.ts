import { describe, expect, it } from 'vitest';
import { terminalJson, terminalJsonLine, terminalJsonText, terminalSafe } from './render.ts';

/** Anything a terminal acts on or hides: what must never reach it raw. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for control characters
const RAW_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;
const TAGS = /[\u{e0000}-\u{e007f}]/u;

const HOSTILE: [string, string, string][] = [
  ['SGR colour', 'ok\x1b[31mred\x1b[0m', 'ok\\x1b[31mred\\x1b[0m'],
  ['cursor up and erase line', 'a\x1b[1A\x1b[2Kforged', 'a\\x1b[1A\\x1b[2Kforged'],
  ['OSC window title, BEL-terminated', '\x1b]0;pwned\x07', '\\x1b]0;pwned\\x07'],
  [
    'OSC 8 hyperlink, ST-terminated',
    '\x1b]8;;https://evil\x1b\\x\x1b]8;;\x1b\\',
    '\\x1b]8;;https://evil\\x1b\\\\x\\x1b]8;;\\x1b\\\\',
  ],
  ['CR overwriting the line', 'denied\rsuccess', 'denied\\rsuccess'],
  ['LF forging a second line', 'u-1\n2026-03-01 admin success', 'u-1\\n2026-03-01 admin success'],
  ['CRLF', 'a\r\nb', 'a\\r\\nb'],
  ['tab', 'a\tb', 'a\\tb'],
  ['backspace over text', 'root\b\b\b\buser', 'root\\x08\\x08\\x08\\x08user'],
  ['NUL', 'a\0b', 'a\\x00b'],
  ['DEL', 'a\x7fb', 'a\\x7fb'],
  ['C1 CSI (8-bit ESC [)', 'a\u009b31mb', 'a\\x9b31mb'],
  ['C1 NEL', 'a\u0085b', 'a\\x85b'],
  ['bidi override RLO', 'invoice\u202Efdp.exe', 'invoice\\u202efdp.exe'],
  ['bidi embeddings and PDF', '\u202A\u202B\u202C\u202D', '\\u202a\\u202b\\u202c\\u202d'],
  ['bidi isolates', '\u2066x\u2067y\u2068z\u2069', '\\u2066x\\u2067y\\u2068z\\u2069'],
  ['LRM, RLM, ALM', '\u200E\u200F\u061C', '\\u200e\\u200f\\u061c'],
  ['zero-width space and joiners', 'ad\u200Bmin\u200C\u200D', 'ad\\u200bmin\\u200c\\u200d'],
  ['word joiner, invisible times', '\u2060\u2062', '\\u2060\\u2062'],
  ['BOM and soft hyphen', '\uFEFFad\u00ADmin', '\\ufeffad\\xadmin'],
  ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
  ['tag characters (hidden ASCII)', 'ok\u{E0049}\u{E0047}', 'ok\\u{e0049}\\u{e0047}'],
  ['Hangul fillers', '\u3164\u115F', '\\u3164\\u115f'],
  ['lone surrogate', 'a\uD800b', 'a\\ud800b'],
  ['a literal backslash escape cannot pose as one', 'C:\\x1b', 'C:\\\\x1b'],
];

describe('terminalSafe', () => {
  it.each(HOSTILE)('escapes %s visibly', (_kind, input, shown) => {
    const out = terminalSafe(input);
    expect(out).toBe(shown);
    expect(out).not.toMatch(RAW_UNSAFE);
    expect(out).not.toMatch(TAGS);
  });

  it('leaves printable text alone: accents, CJK, RTL letters, emoji', () => {
    for (const text of ['Zoë Ångström', '東京都 acme', 'مرحبا', 'שלום', '🚀 deploy', 'a-b_c.d:e/f@g'])
      expect(terminalSafe(text)).toBe(text);
  });

  it('every C0, DEL and C1 code point comes out escaped, never raw', () => {
    for (let code = 0; code <= 0x9f; code++) {
      if (code >= 0x20 && code < 0x7f) continue;
      const out = terminalSafe(String.fromCharCode(code));
      expect(out).toMatch(/^\\/);
      expect(out).not.toMatch(RAW_UNSAFE);
    }
  });

  it('renders null and non-strings as text', () => {
    expect(terminalSafe(null)).toBe('');
    expect(terminalSafe(undefined)).toBe('');
    expect(terminalSafe(42)).toBe('42');
  });
});

describe('terminalJson', () => {
  const event = { id: 'e1', actor: { id: HOSTILE.map(([, input]) => input).join('|') } };

  it('is valid JSON that parses back to exactly the same value', () => {
    expect(JSON.parse(terminalJson(event))).toEqual(event);
    expect(JSON.parse(terminalJson(event, 2))).toEqual(event);
  });

  it('carries no raw control, bidi, invisible or tag character', () => {
    const out = terminalJson(event);
    expect(out).not.toMatch(RAW_UNSAFE);
    expect(out).not.toMatch(TAGS);
    expect(out).toContain('\\u202e');
    expect(out).toContain('\\u009b');
    expect(out).toContain('\\udb40\\udc49'); // a tag character as its surrogate pair
  });

  it('plain JSON.stringify would have let bidi overrides and C1 controls through', () => {
    expect(JSON.stringify('a\u202Eb\u009b')).toMatch(RAW_UNSAFE);
  });

  it('re-serialises server JSON text the same way', () => {
    const text = JSON.stringify(event);
    expect(JSON.parse(terminalJsonText(text))).toEqual(event);
    expect(terminalJsonText(text)).not.toMatch(RAW_UNSAFE);
  });
});

describe('terminalJsonLine', () => {
  it('escapes a JSON line as JSON, and a line that is not JSON as text', () => {
    expect(terminalJsonLine('{"a":"x\u202ey"}')).toBe('{"a":"x\\u202ey"}');
    expect(terminalJsonLine('not json \x1b[2J')).toBe('not json \\x1b[2J');
  });
});
