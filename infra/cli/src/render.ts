/**
 * Terminal safety for event fields (issue 14, item 7). Event text comes from whoever emitted
 * the event: an ESC can recolour, move the cursor or retitle the window, a CR can overwrite the
 * start of the line with a forged one, bidi overrides reorder what the eye reads, and zero-width
 * or tag characters hide text. Every such character is written as a visible escape instead, so
 * what the terminal shows is exactly what the event holds. Printable text, including non-Latin
 * scripts and emoji (minus their joiners), is left alone.
 */

/**
 * What gets escaped, as one character class (linear time on any input):
 * - `\p{Cc}`: C0 controls (ESC, CR, LF, TAB, BEL, BS …), DEL and the C1 controls (U+0080–U+009F,
 *   among them CSI U+009B, which some terminals obey like `ESC [`);
 * - `\p{Cf}`: invisible format characters, among them the bidi embeddings and overrides
 *   U+202A–U+202E and isolates U+2066–U+2069, the marks U+200E/U+200F/U+061C, zero-width
 *   space/joiners U+200B–U+200D, word joiner and invisible operators U+2060–U+2064, the BOM
 *   U+FEFF, the soft hyphen U+00AD and the tag characters U+E0000–U+E007F (hidden ASCII);
 * - `\p{Zl}`, `\p{Zp}`: U+2028/U+2029, which some terminals and editors break lines at;
 * - `\p{Cs}`: lone surrogate halves (a terminal would show U+FFFD and hide what was sent);
 * - Hangul fillers (U+115F, U+1160, U+3164, U+FFA0): letters that render as blank space;
 * - the backslash, so an escape in the output always means an escaped character and a field
 *   that holds the literal text `\x1b` cannot pass for one.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\u115f\u1160\u3164\uffa0\\]/gu;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

const hex = (code: number, width: number): string => code.toString(16).padStart(width, '0');

function escapeOne(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.codePointAt(0) as number;
  if (code <= 0xff) return `\\x${hex(code, 2)}`;
  if (code <= 0xffff) return `\\u${hex(code, 4)}`;
  return `\\u{${hex(code, 1)}}`;
}

/** A field's text as the terminal must show it: every control or invisible character escaped. */
export function terminalSafe(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : String(value);
  return text.replace(UNSAFE, escapeOne);
}

/**
 * Characters `JSON.stringify` leaves raw although a terminal acts on them or hides them: DEL,
 * the C1 controls, the format characters (bidi overrides, zero-width, tags), U+2028/U+2029
 * and the Hangul fillers. It escapes C0 controls inside strings itself (the only raw ones left
 * are the newlines of indentation), and `"`, `\` and lone surrogates.
 */
const JSON_UNSAFE = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]/gu;

/** `\\uXXXX` per UTF-16 unit: JSON has no `\\u{...}`, astral characters become their surrogate pair. */
const jsonEscape = (char: string): string => {
  let out = '';
  for (let i = 0; i < char.length; i++) out += `\\u${hex(char.charCodeAt(i), 4)}`;
  return out;
};

/**
 * JSON for a terminal: the same value as `JSON.stringify(value, null, indent)` (any JSON parser
 * reads it back unchanged), with the characters above written as `\uXXXX` escapes. They can only
 * occur inside strings, where such an escape means the same character.
 */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_UNSAFE, jsonEscape);
}

/** A JSON text received from a server, re-serialised for the terminal (see `terminalJson`). */
export function terminalJsonText(text: string, indent?: number): string {
  return terminalJson(JSON.parse(text) as unknown, indent);
}

/** One NDJSON line for the terminal: its JSON as `terminalJsonText`, or escaped text if it is not JSON. */
export function terminalJsonLine(line: string): string {
  try {
    return terminalJsonText(line);
  } catch {
    return terminalSafe(line);
  }
}
