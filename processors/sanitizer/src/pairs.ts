import { MARKER_PREFIX } from '@auditflow/schemas';
import type { KeyNames } from './keys.ts';
import type { Hits, Marker } from './redact.ts';

/**
 * Secrets written as pairs inside free text: `key=value`, `key: value`, `"key": "value"`,
 * `key => value`, `key := value`, `--key value`, `--key=value`, `KEY=value cmd`, `<key>value</key>`,
 * YAML/INI/ENV lines and query strings. The key decides (KeyNames: words, not whole names); only
 * the value is replaced, so the rest of the line stays readable.
 *
 * A hand-written scanner rather than a regex: it visits each character a bounded number of
 * times (keys are read back at most MAX_KEY_CHARS from a separator, values forward once and
 * skipped), so it is linear in the text whatever an attacker sends.
 */

export const PAIR_RULE = 'key-value-secret';

const MAX_KEY_CHARS = 64;
const MAX_KEY_WORDS = 3;
/** A quoted value longer than this without its closing quote ends here. */
const MAX_VALUE_CHARS = 8192;
/** `[REDACTED:<rule id up to 64>:<12 hex>]` */
const MAX_MARKER_CHARS = 96;
/** The longest auth scheme word (`negotiate`). */
const MAX_SCHEME_CHARS = 16;
/** Shorter values are not worth a marker (and `a=b` in prose is rarely a credential). */
const MIN_VALUE_CHARS = 3;
/** Values at most this long are checked against the placeholder words. */
const MAX_PLACEHOLDER_CHARS = 24;

const isKeyChar = (c: number): boolean =>
  (c >= 97 && c <= 122) ||
  (c >= 65 && c <= 90) ||
  (c >= 48 && c <= 57) ||
  c === 95 || // _
  c === 45 || // -
  c === 46 || // .
  c === 91 || // [
  c === 93; // ]
const isBlank = (c: number): boolean => c === 32 || c === 9;
const isQuote = (c: number): boolean => c === 34 || c === 39 || c === 96;
const isLineEnd = (c: number): boolean => c === 10 || c === 13;
/** Where an unquoted value ends when it is one token. */
const endsToken = (c: number): boolean =>
  isBlank(c) ||
  isLineEnd(c) ||
  isQuote(c) ||
  c === 38 || // &
  c === 59 || // ;
  c === 44 || // ,
  c === 41 || // )
  c === 125 || // }
  c === 93 || // ]
  c === 60 || // <
  c === 62; // >

/** Values that stand for no secret: a placeholder, a reference, a state. Lower case. */
const PLACEHOLDERS = new Set([
  'null',
  'none',
  'nil',
  'true',
  'false',
  'undefined',
  'empty',
  'redacted',
  'hidden',
  'masked',
  'removed',
  'expired',
  'invalid',
  'missing',
  'required',
  'revoked',
  'rotated',
  'changed',
  'updated',
  'provided',
  'present',
  'absent',
  'unset',
  'set',
  'ok',
  'yes',
  'no',
  'n/a',
  'na',
  'unknown',
  'malformed',
  'mismatch',
  'denied',
  'rejected',
  'accepted',
  'valid',
  'wrong',
  'incorrect',
  'not',
  'is',
  'was',
  'has',
  'the',
  'a',
  'an',
]);

/** `Authorization: Bearer <credential>`: the scheme stays, the credential goes. */
const AUTH_SCHEMES = new Set([
  'bearer',
  'basic',
  'token',
  'digest',
  'negotiate',
  'ntlm',
  'apikey',
  'sso-key',
]);

/** Keys whose value is a whole header line (every cookie, not only the first). */
const HEADER_WORDS = new Set(['cookie', 'cookies', 'setcookie', 'authorization', 'proxyauthorization']);

function isPlaceholder(value: string): boolean {
  if (value.length > MAX_PLACEHOLDER_CHARS) return false;
  const lower = value.toLowerCase();
  if (PLACEHOLDERS.has(lower)) return true;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  // ${DB_PASSWORD}, $PASSWORD, {{ .Values.password }}, %PASSWORD%, <password>
  if (first === 36 || (first === 123 && last === 125) || (first === 37 && last === 37)) return true;
  if (first === 60 && last === 62) return true;
  // ****, xxxx, ••••: already masked
  let masked = true;
  for (let i = 0; i < value.length && masked; i++) {
    const c = value.charCodeAt(i);
    masked = c === 42 || c === 120 || c === 88 || c === 0x2022 || c === 46;
  }
  return masked;
}

interface KeySpan {
  readonly start: number;
  readonly end: number;
}

export class PairScanner {
  constructor(private readonly keys: KeyNames) {}

  /** Replaces the value of every sensitive pair in `text`; counts them in `hits`. */
  redact(text: string, mark: Marker, hits: Hits): string {
    let out = '';
    let from = 0;
    let count = 0;
    const n = text.length;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      let sepEnd = -1;
      let flag: KeySpan | undefined;
      if (c === 61 /* = */) {
        const next = text.charCodeAt(i + 1);
        const prev = text.charCodeAt(i - 1);
        if (next === 61 || prev === 61 || prev === 33 || prev === 60 || prev === 62) {
          i += 1; // ==, !=, <=, >=: comparisons, not assignments
          continue;
        }
        sepEnd = next === 62 ? i + 2 : i + 1; // =>
      } else if (c === 58 /* : */) {
        const next = text.charCodeAt(i + 1);
        if (next === 47 && text.charCodeAt(i + 2) === 47) {
          i += 3; // scheme://
          continue;
        }
        if (next === 58) {
          i += 2; // ::
          continue;
        }
        sepEnd = next === 61 ? i + 2 : i + 1; // :=
      } else if (
        c === 45 &&
        text.charCodeAt(i + 1) === 45 &&
        (i === 0 || !isKeyChar(text.charCodeAt(i - 1)))
      ) {
        flag = this.flagName(text, i + 2);
      } else if (c === 91 /* [ */ && text.startsWith(MARKER_PREFIX, i)) {
        // An earlier rule's marker: its colons separate rule and fingerprint, not a pair.
        let close = i + MARKER_PREFIX.length;
        const limit = Math.min(n, i + MAX_MARKER_CHARS);
        while (close < limit && text.charCodeAt(close) !== 93) close++;
        i = close < limit ? close + 1 : i + 1;
        continue;
      } else if (c === 60 /* < */) {
        const element = this.elementName(text, i + 1);
        if (element && this.keys.isSensitive(text.slice(element.start, element.end))) {
          const valueStart = element.end + 1;
          let end = valueStart;
          const limit = Math.min(n, valueStart + MAX_VALUE_CHARS);
          while (end < limit && text.charCodeAt(end) !== 60) end++;
          if (this.acceptable(text, valueStart, end)) {
            out += text.slice(from, valueStart) + mark(PAIR_RULE, text.slice(valueStart, end));
            from = end;
            count++;
          }
          i = Math.max(end, i + 1);
          continue;
        }
      }

      if (flag) {
        // --password hunter2 (a flag followed by a blank); --password=x is read at its '='.
        const after = flag.end;
        if (
          after < n &&
          isBlank(text.charCodeAt(after)) &&
          this.keys.isSensitive(text.slice(flag.start, flag.end))
        ) {
          const value = this.value(text, after, false);
          if (value && this.acceptable(text, value.start, value.end)) {
            out += text.slice(from, value.start) + mark(PAIR_RULE, text.slice(value.start, value.end));
            from = value.end;
            count++;
            i = value.end;
            continue;
          }
        }
        i = Math.max(after, i + 1);
        continue;
      }

      if (sepEnd < 0) {
        i += 1;
        continue;
      }
      const key = this.keyBefore(text, i);
      if (!key) {
        i = sepEnd;
        continue;
      }
      const keyText = text.slice(key.start, key.end);
      if (!this.keys.isSensitive(keyText) || this.isWorkingDirectory(keyText, text, sepEnd)) {
        i = sepEnd;
        continue;
      }
      // `key: value` and `key = value` lines (YAML, INI) run to the line's end; `KEY=value cmd` is one token.
      const spaced = sepEnd < n && isBlank(text.charCodeAt(sepEnd)) && isBlank(text.charCodeAt(i - 1));
      const wholeLine = this.startsLine(text, key.start) && (c === 58 || spaced);
      const header = this.isHeaderKey(keyText);
      // Inside a quoted string ("Authorization: Basic …" in a curl line) the value ends at its quote.
      const enclosing =
        key.start > 0 && isQuote(text.charCodeAt(key.start - 1)) ? text.charCodeAt(key.start - 1) : 0;
      const value = this.value(text, sepEnd, wholeLine || header, enclosing);
      if (value && this.acceptable(text, value.start, value.end)) {
        out += text.slice(from, value.start) + mark(PAIR_RULE, text.slice(value.start, value.end));
        from = value.end;
        count++;
        i = value.end;
        continue;
      }
      i = sepEnd;
    }
    if (count === 0) return text;
    hits.set(PAIR_RULE, (hits.get(PAIR_RULE) ?? 0) + count);
    return out + text.slice(from);
  }

  /** The key just before a separator at `sep`: up to three words, skipping a closing quote. */
  private keyBefore(text: string, sep: number): KeySpan | undefined {
    let j = sep - 1;
    let skipped = 0;
    while (j >= 0 && skipped < 4 && (isBlank(text.charCodeAt(j)) || isQuote(text.charCodeAt(j)))) {
      j--;
      skipped++;
    }
    const end = j + 1;
    let words = 0;
    const floor = Math.max(0, end - MAX_KEY_CHARS);
    while (j >= floor) {
      if (!isKeyChar(text.charCodeAt(j))) break;
      while (j >= floor && isKeyChar(text.charCodeAt(j))) j--;
      words++;
      // "api key: …", "secret access key = …": single blanks between words.
      if (
        words < MAX_KEY_WORDS &&
        j - 1 >= floor &&
        text.charCodeAt(j) === 32 &&
        isKeyChar(text.charCodeAt(j - 1))
      ) {
        j--;
        continue;
      }
      break;
    }
    const start = j + 1;
    if (start >= end) return undefined;
    // A key cut by the length limit is part of something longer than a key.
    if (start === floor && floor > 0 && isKeyChar(text.charCodeAt(floor - 1))) return undefined;
    return { start, end };
  }

  private flagName(text: string, from: number): KeySpan | undefined {
    let end = from;
    const limit = Math.min(text.length, from + MAX_KEY_CHARS);
    while (end < limit && isKeyChar(text.charCodeAt(end))) end++;
    return end > from ? { start: from, end } : undefined;
  }

  private elementName(text: string, from: number): KeySpan | undefined {
    const name = this.flagName(text, from);
    return name && text.charCodeAt(name.end) === 62 ? name : undefined;
  }

  /** The value after a separator: quoted, the rest of the line, or one token. */
  private value(text: string, from: number, wholeLine: boolean, enclosing = 0): KeySpan | undefined {
    const n = text.length;
    let p = from;
    let blanks = 0;
    while (p < n && isBlank(text.charCodeAt(p)) && blanks < 8) {
      p++;
      blanks++;
    }
    if (p >= n || isLineEnd(text.charCodeAt(p))) return undefined;
    if (text.startsWith(MARKER_PREFIX, p)) return undefined;
    const q = text.charCodeAt(p);
    if (isQuote(q)) {
      const start = p + 1;
      let end = start;
      const limit = Math.min(n, start + MAX_VALUE_CHARS);
      while (end < limit) {
        const c = text.charCodeAt(end);
        if (c === 92 /* \ */) end += 2;
        else if (c === q) break;
        else end++;
      }
      end = Math.min(end, n);
      return this.credentialPart(text, start, end, true);
    }
    let end = p;
    if (wholeLine) {
      while (end < n && !isLineEnd(text.charCodeAt(end)) && text.charCodeAt(end) !== enclosing) end++;
      while (end > p && isBlank(text.charCodeAt(end - 1))) end--;
    } else {
      end = this.tokenEnd(text, p, n);
    }
    return this.credentialPart(text, p, end, wholeLine);
  }

  /**
   * Where an unquoted one-token value ends. `&` and `;` end it only before another `key=`
   * (query strings, connection strings): `password=Tr0ub4dor&3xyz` is one password.
   */
  private tokenEnd(text: string, from: number, limit: number): number {
    let end = from;
    while (end < limit) {
      const c = text.charCodeAt(end);
      if ((c === 38 || c === 59) && !this.startsPair(text, end + 1)) {
        end++;
        continue;
      }
      if (endsToken(c)) break;
      end++;
    }
    return end;
  }

  /** Whether `key=` (a bounded key) starts at `from`. */
  private startsPair(text: string, from: number): boolean {
    let p = from;
    const limit = Math.min(text.length, from + MAX_KEY_CHARS);
    while (p < limit && (isKeyChar(text.charCodeAt(p)) || text.charCodeAt(p) === 32)) p++;
    return p > from && p < text.length && text.charCodeAt(p) === 61;
  }

  /**
   * `Bearer abc`: only the credential after a scheme word is replaced. A marker inside the
   * value (an earlier rule's) ends it there.
   */
  private credentialPart(
    text: string,
    start: number,
    end: number,
    spansBlanks: boolean,
  ): KeySpan | undefined {
    let s = start;
    let blank = s;
    while (blank < end && !isBlank(text.charCodeAt(blank))) blank++;
    if (
      blank < end &&
      blank - s <= MAX_SCHEME_CHARS &&
      AUTH_SCHEMES.has(text.slice(s, blank).toLowerCase())
    ) {
      s = blank;
      while (s < end && isBlank(text.charCodeAt(s))) s++;
      if (!spansBlanks) end = this.tokenEnd(text, s, end);
    } else if (!spansBlanks) {
      end = blank;
    }
    // Bounded to the value: searching the whole rest of the text here would be quadratic.
    for (let m = s; m < end; m++) {
      if (text.charCodeAt(m) === 91 && text.startsWith(MARKER_PREFIX, m)) {
        end = m;
        break;
      }
    }
    while (end > s && isBlank(text.charCodeAt(end - 1))) end--;
    return end > s ? { start: s, end } : undefined;
  }

  private acceptable(text: string, start: number, end: number): boolean {
    return end - start >= MIN_VALUE_CHARS && !isPlaceholder(text.slice(start, end));
  }

  /** Only blanks, a YAML list dash or `export`/`set` before the key on its line. */
  private startsLine(text: string, keyStart: number): boolean {
    let j = keyStart - 1;
    let seen = 0;
    while (j >= 0 && seen < 16 && (isBlank(text.charCodeAt(j)) || text.charCodeAt(j) === 45)) {
      j--;
      seen++;
    }
    if (j < 0 || isLineEnd(text.charCodeAt(j))) return true;
    for (const word of ['export', 'set', 'ENV', 'ARG', 'env']) {
      const at = j - word.length + 1;
      if (at >= 0 && text.startsWith(word, at) && (at === 0 || isLineEnd(text.charCodeAt(at - 1))))
        return true;
    }
    return false;
  }

  private isHeaderKey(key: string): boolean {
    const normal = key.toLowerCase().replace(/[^a-z]/g, '');
    return HEADER_WORDS.has(normal);
  }

  /** `PWD=/srv/app` in an environment dump is the working directory, not a password. */
  private isWorkingDirectory(key: string, text: string, sepEnd: number): boolean {
    const normal = key.toLowerCase();
    return (normal === 'pwd' || normal === 'oldpwd') && text.charCodeAt(sepEnd) === 47;
  }
}
