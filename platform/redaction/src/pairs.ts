import { MARKER_PREFIX } from '@auditflow/schemas';
import type { FlagMode, KeyNames } from './keys.ts';
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
const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
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

/** One replacement the scanner decided on; `next` is where scanning goes on. */
interface Found {
  readonly value?: KeySpan;
  readonly next: number;
}

/** "Nothing here, go on with the next character" (shared: the scanner allocates nothing for it). */
const NEXT: Found = { next: -1 };

/** The shortest text that can hold a pair (`pw=abc`). */
const MIN_PAIR_TEXT = 6;

/** Characters where a pair, flag, element or loose value can begin. */
const isTrigger = (c: number): boolean =>
  c === 61 || c === 58 || c === 45 || c === 91 || c === 60 || c === 44 || c === 32 || c === 9;

/** Whether `text` has any separator, flag dash, element, comma or blank: else no pair can be in it. */
function mayHoldPair(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 61 || c === 58 || c === 45 || c === 60 || c === 44 || c === 32 || c === 9 || c === 10)
      return true;
  }
  return false;
}

/** Words of a command line: a path's last segment is the command (`/usr/bin/mysql`). */
const COMMAND_SPLIT = /[\s/|;&()"'`=<>]+/;
/** The longest line read whole for a positional secret. */
const MAX_LINE_RECORD_CHARS = 512;
/** SQL that sets a password without naming it before the `=` (MySQL, MariaDB). */
const SET_PASSWORD = /\bset\s+password\b/i;
/** MySQL's `= PASSWORD('…')` / `OLD_PASSWORD('…')`: the quoted argument is the password. */
const PASSWORD_FUNCTION = /^(?:OLD_)?PASSWORD\(\s*/i;
/** How far back on its line a flag looks for its command. */
const MAX_COMMAND_LOOKBACK = 256;
/** `- name: DB_PASSWORD` then `value: …` within this many characters. */
const MAX_NAME_VALUE_GAP = 200;
/** A value after a secret word and a blank alone (`password Q8uF…`, `api key 5600…`) must look like this. */
const MIN_LOOSE_VALUE_CHARS = 12;
const MIN_QUOTED_LOOSE_CHARS = 4;

export class PairScanner {
  constructor(private readonly keys: KeyNames) {}

  /** Replaces the value of every sensitive pair in `text`; counts them in `hits`. */
  redact(text: string, mark: Marker, hits: Hits): string {
    let out = '';
    let from = 0;
    let count = 0;
    const n = text.length;
    // Most strings hold no separator, flag or element at all: one cheap pass says so, and
    // nothing is allocated for them (this runs on every string of every event).
    if (n < MIN_PAIR_TEXT || !mayHoldPair(text)) return text;
    const scan = new ScanState();
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (!isTrigger(c) && i !== 0 && !isLineEnd(text.charCodeAt(i - 1))) {
        i++;
        continue;
      }
      const found = this.at(text, i, scan);
      if (
        found.value &&
        found.value.start >= from &&
        this.acceptable(text, found.value.start, found.value.end)
      ) {
        out +=
          text.slice(from, found.value.start) +
          mark(PAIR_RULE, text.slice(found.value.start, found.value.end));
        from = found.value.end;
        count++;
        i = Math.max(found.value.end, i + 1);
        continue;
      }
      i = Math.max(found.next, i + 1);
    }
    if (count === 0) return text;
    hits.set(PAIR_RULE, (hits.get(PAIR_RULE) ?? 0) + count);
    return out + text.slice(from);
  }

  /** What starts at `i`, if anything; every branch moves on by at least one character. */
  private at(text: string, i: number, scan: ScanState): Found {
    const c = text.charCodeAt(i);
    if (c === 61 /* = */ || c === 58 /* : */) return this.separator(text, i, scan);
    if (c === 45 /* - */ && (i === 0 || !isKeyChar(text.charCodeAt(i - 1)))) return this.flag(text, i, scan);
    if (c === 91 /* [ */ && text.startsWith(MARKER_PREFIX, i)) {
      // An earlier rule's marker: its colons separate rule and fingerprint, not a pair.
      let close = i + MARKER_PREFIX.length;
      const limit = Math.min(text.length, i + MAX_MARKER_CHARS);
      while (close < limit && text.charCodeAt(close) !== 93) close++;
      return { next: close < limit ? close + 1 : i + 1 };
    }
    if (c === 60 /* < */) return this.element(text, i);
    if (c === 44 /* , */) return this.call(text, i);
    if (isBlank(c)) return this.loose(text, i);
    if (i === 0 || isLineEnd(text.charCodeAt(i - 1))) {
      const line = this.lineRecord(text, i, scan);
      if (line) return line;
    }
    return NEXT;
  }

  /**
   * Secrets a whole line carries by position: a `.pgpass` line (`host:port:db:user:password`),
   * `htpasswd -b file user password` (the command's last word).
   */
  private lineRecord(text: string, start: number, scan: ScanState): Found | undefined {
    let end = start;
    const limit = Math.min(text.length, start + MAX_LINE_RECORD_CHARS);
    let colons = 0;
    let blanks = 0;
    let pipe = false;
    let backslash = false;
    let dash = false;
    // Where the first two and the fourth colon stand (a .pgpass line has exactly four).
    let first = -1;
    let second = -1;
    let fourth = -1;
    while (end < limit && !isLineEnd(text.charCodeAt(end))) {
      const c = text.charCodeAt(end);
      if (c === 58) {
        colons++;
        if (colons === 1) first = end;
        else if (colons === 2) second = end;
        else if (colons === 4) fourth = end;
      } else if (isBlank(c)) blanks++;
      else if (c === 124) pipe = true;
      else if (c === 92) backslash = true;
      else if (c === 45) dash = true;
      end++;
    }
    if (colons === 4 && blanks === 0 && end > fourth + 1 && isPortField(text, first + 1, second))
      return { value: { start: fourth + 1, end }, next: end };
    // What follows needs a command line: blanks and a backslash share, a pipe or a flag.
    if (blanks === 0) return undefined;
    const share = backslash ? netUsePassword(text, start, end) : undefined;
    if (share) return { value: share, next: share.end };
    const piped = pipe ? this.pipedPassword(text, start, end) : undefined;
    if (piped) return { value: piped, next: piped.end };
    if (dash && scan.lastArgumentFlag(text, start, end, this.keys)) {
      // The command's last word: before any redirection, pipe or next command.
      let last = commandEnd(text, start, end);
      while (last > start && isBlank(text.charCodeAt(last - 1))) last--;
      let first = last;
      while (first > start && !isBlank(text.charCodeAt(first - 1))) first--;
      if (last - first >= MIN_VALUE_CHARS && !text.startsWith('-', first))
        return { value: { start: first, end: last }, next: last };
    }
    return undefined;
  }

  /**
   * `echo '…' | passwd --stdin ada`, `echo 'ada:…' | chpasswd`, `printf … | docker login
   * --password-stdin`: the echoed word is the password (rules/key-names.json stdinPassword).
   */
  private pipedPassword(text: string, start: number, end: number): KeySpan | undefined {
    if (this.keys.stdinPassword.size === 0) return undefined;
    const line = text.slice(start, end);
    const pipe = line.indexOf('|');
    if (pipe < 0) return undefined;
    const echo = /^\s*(?:echo|printf)(?:\s+-[a-z]+)*\s+/.exec(line.slice(0, pipe));
    if (!echo) return undefined;
    const words = line
      .slice(pipe + 1)
      .split(COMMAND_SPLIT)
      .filter(Boolean);
    const command = (words[0] === 'sudo' ? words[1] : words[0]) ?? '';
    const needs = this.keys.stdinPassword.get(command);
    if (needs === undefined || (needs !== 'user:' && needs !== '' && !words.includes(needs)))
      return undefined;
    let from = start + echo[0].length;
    let to = start + pipe;
    while (to > from && isBlank(text.charCodeAt(to - 1))) to--;
    if (isQuote(text.charCodeAt(from)) && text.charCodeAt(to - 1) === text.charCodeAt(from)) {
      from++;
      to--;
    }
    if (to > from + 1 && text.charCodeAt(to - 2) === 92 && text.charCodeAt(to - 1) === 110) to -= 2; // printf '…\n'
    if (needs === 'user:') {
      const colon = text.slice(from, to).indexOf(':');
      if (colon < 0) return undefined;
      from += colon + 1;
    }
    return to - from >= MIN_VALUE_CHARS ? { start: from, end: to } : undefined;
  }

  /** `key=value`, `key: value`, `key := value`, `key => value`. */
  private separator(text: string, i: number, scan: ScanState): Found {
    const n = text.length;
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    const prev = text.charCodeAt(i - 1);
    let sepEnd: number;
    if (c === 61) {
      // ==, !=, <=, >=: comparisons, not assignments
      if (next === 61 || prev === 61 || prev === 33 || prev === 60 || prev === 62) return { next: i + 2 };
      sepEnd = next === 62 ? i + 2 : i + 1; // =>
    } else {
      if (next === 47 && text.charCodeAt(i + 2) === 47) return { next: i + 3 }; // scheme://
      if (next === 58) return { next: i + 2 }; // ::
      sepEnd = next === 61 ? i + 2 : i + 1; // :=
    }
    const key = this.keyBefore(text, i);
    if (c === 61 && scan.setsPassword(text, i)) {
      // SQL: SET PASSWORD FOR 'app'@'%' = '…' — the key is the statement, not a word before `=`.
      let from = sepEnd;
      while (from < n && isBlank(text.charCodeAt(from))) from++;
      const call = PASSWORD_FUNCTION.exec(text.slice(from, from + 24));
      const value = this.value(text, call ? from + call[0].length : sepEnd, false);
      if (value) return { value, next: value.end };
    }
    // arn:aws:secretsmanager:…:secret:name is a path of segments, not pairs.
    if (!key || (key.start > 0 && text.charCodeAt(key.start - 1) === 58)) return { next: sepEnd };
    const keyText = text.slice(key.start, key.end);
    const lastWord = lastWordOf(keyText);
    if (key.start > 0 && text.charCodeAt(key.start - 1) === 47 /* / */) {
      // xfreerdp /p:Secret: a Windows-style flag of the command on the line.
      const mode = c === 58 ? scan.flagsOf(text, key.start - 1, this.keys)?.get(`/${keyText}`) : undefined;
      if (mode !== ':') return { next: sepEnd };
      const value = this.value(text, sepEnd, false);
      return value ? { value, next: value.end } : { next: sepEnd };
    }
    const sensitive =
      (keyText.includes(' ') ? this.keys.endsWithSecret(keyText) : this.keys.isSensitive(keyText)) ||
      scan.valueNamedSecret(lastWord, key.start);
    // `key: value` and `key = value` lines (YAML, INI) run to the line's end; `KEY=value cmd` is one token.
    const spaced = sepEnd < n && isBlank(text.charCodeAt(sepEnd)) && isBlank(text.charCodeAt(i - 1));
    const wholeLine = !keyText.includes(' ') && this.startsLine(text, key.start) && (c === 58 || spaced);
    const header = sensitive && this.isHeaderKey(keyText);
    // Inside a quoted string ("Authorization: Basic …" in a curl line) the value ends at its quote.
    const enclosing =
      key.start > 0 && isQuote(text.charCodeAt(key.start - 1)) ? text.charCodeAt(key.start - 1) : 0;
    if (!sensitive) {
      if (NAME_KEYS.has(lastWord)) {
        // {name: DB_PASSWORD, value: …} written as text: remember the name for the value after it.
        const named = this.value(text, sepEnd, false, enclosing, false);
        if (named && this.keys.isSensitive(text.slice(named.start, named.end))) scan.secretName(named.end);
      }
      return { next: sepEnd };
    }
    if (this.isWorkingDirectory(lastWord, text, sepEnd)) return { next: sepEnd };
    const value = this.value(text, sepEnd, wholeLine || header, enclosing, header);
    if (!value) return { next: sepEnd };
    // "password: too short (minimum …)": in a sentence, a plain word followed by more words is prose.
    if (c === 58 && !wholeLine && !header && spacedAfter(text, sepEnd) && isProse(text, value))
      return { next: sepEnd };
    return { value, next: value.end };
  }

  /**
   * `--password x` (`--password=x` is read at its `=`), and the password flags of the command
   * on the line (rules/key-names.json commandFlags): `mysql -pSecret`, `sshpass -p x`,
   * `redis-cli -a x`, `keytool -storepass x`, `smbclient -U user%pass`, `curl -u user:pass`.
   */
  private flag(text: string, i: number, scan: ScanState): Found {
    const n = text.length;
    const double = text.charCodeAt(i + 1) === 45;
    const name = this.flagName(text, i + (double ? 2 : 1));
    if (!name) return NEXT;
    const after = name.end;
    const blankAfter = after < n && isBlank(text.charCodeAt(after));
    const flags = scan.flagsOf(text, i, this.keys);
    if (flags) {
      const written = text.slice(i, after);
      const exact = flags.get(written);
      if (exact === 'user%' || exact === 'user:') {
        const value = blankAfter ? this.value(text, after, false) : undefined;
        const cut = value ? this.afterFirst(text, value, exact === 'user%' ? 37 : 58) : undefined;
        return cut ? { value: cut, next: value?.end ?? after } : { next: after };
      }
      if ((exact === ' ' || exact === '*') && blankAfter) {
        const value = this.value(text, after, false);
        if (value) return { value, next: value.end };
      }
      if (!double) {
        // -pSecret, -p'Secret': a one-letter flag with its value glued on.
        const letter = text.slice(i, i + 2);
        const glued = flags.get(letter);
        const rest = i + 2;
        if (
          (glued === '=' || glued === '*') &&
          rest < n &&
          !isBlank(text.charCodeAt(rest)) &&
          !isLineEnd(text.charCodeAt(rest))
        )
          return { value: this.glued(text, rest), next: Math.max(after, rest) };
      }
    }
    if (double && blankAfter && this.keys.isSensitive(text.slice(name.start, name.end))) {
      const value = this.value(text, after, false);
      if (value && !text.startsWith('-', value.start)) return { value, next: value.end };
    }
    return { next: Math.max(after, i + 1) };
  }

  /** The part of a value after its first `%` or `:` (user%pass, user:pass). */
  private afterFirst(text: string, value: KeySpan, separator: number): KeySpan | undefined {
    let at = value.start;
    while (at < value.end && text.charCodeAt(at) !== separator) at++;
    return at < value.end - 1 ? { start: at + 1, end: value.end } : undefined;
  }

  /** `-pSecret` / `-p'Secret'`: the value glued to the flag. */
  private glued(text: string, from: number): KeySpan | undefined {
    const q = text.charCodeAt(from);
    if (isQuote(q)) {
      let end = from + 1;
      const limit = Math.min(text.length, from + MAX_VALUE_CHARS);
      while (end < limit && text.charCodeAt(end) !== q) end++;
      return end > from + 1 ? { start: from + 1, end } : undefined;
    }
    const end = this.tokenEnd(text, from, text.length);
    return end > from ? { start: from, end } : undefined;
  }

  /** `<password>value</password>`. */
  private element(text: string, i: number): Found {
    const element = this.elementName(text, i + 1);
    if (!element || !this.keys.isSensitive(text.slice(element.start, element.end))) return NEXT;
    const start = element.end + 1;
    let end = start;
    const limit = Math.min(text.length, start + MAX_VALUE_CHARS);
    while (end < limit && text.charCodeAt(end) !== 60) end++;
    return end > start ? { value: { start, end }, next: end } : { next: start };
  }

  /**
   * A secret word, one blank, and a value that looks generated: `password Q8uF…` (.netrc),
   * `datadog api key 5600…`. Prose ("password reset requested") has no such value.
   */
  private loose(text: string, i: number): Found {
    if (i + 1 >= text.length || isBlank(text.charCodeAt(i + 1)) || i === 0) return NEXT;
    // The value decides first (cheap, no allocation): most blanks in prose are followed by a
    // plain word, which can never be a loose value.
    const q = text.charCodeAt(i + 1);
    if (!isQuote(q)) {
      // Prose: a word without a digit can never be a loose value (looksGenerated wants both).
      // This blank-delimited word holds the token tokenEnd finds (which may stop earlier).
      if (!wordHasDigit(text, i + 1)) return NEXT;
      const end = this.tokenEnd(text, i + 1, text.length);
      if (end - (i + 1) < MIN_LOOSE_VALUE_CHARS || !looksGenerated(text, i + 1, end)) return NEXT;
    }
    if (!isKeyChar(text.charCodeAt(i - 1))) return NEXT;
    const key = this.keyBefore(text, i + 1);
    if (!key || key.end !== i || !this.keys.endsWithSecret(text.slice(key.start, key.end))) return NEXT;
    if (isQuote(q)) {
      // WITH PASSWORD '…', IDENTIFIED BY '…', ConvertTo-SecureString '…': quoted, it is the value.
      const value = this.value(text, i + 1, false);
      // A name in quotes ("token 'ci-bot' created") has no digit and is short; a password rarely both.
      const plausible =
        value !== undefined &&
        value.end - value.start >= MIN_QUOTED_LOOSE_CHARS &&
        (value.end - value.start >= MIN_LOOSE_VALUE_CHARS || hasDigit(text, value.start, value.end));
      return plausible ? { value, next: value.end } : NEXT;
    }
    const end = this.tokenEnd(text, i + 1, text.length);
    const start = i + 1;
    if (end - start < MIN_LOOSE_VALUE_CHARS || !looksGenerated(text, start, end)) return NEXT;
    // "Bearer expires_in=3600": a pair of its own follows, not a credential.
    if (this.startsPair(text, start)) return NEXT;
    return { value: { start, end }, next: end };
  }

  /** `define('DB_PASSWORD', '…')`, `setenv("API_TOKEN", "…")`: a quoted key, a comma, a quoted value. */
  private call(text: string, i: number): Found {
    const before = text.charCodeAt(i - 1);
    if (!isQuote(before)) return NEXT;
    let p = i + 1;
    while (p < text.length && p - i <= 4 && isBlank(text.charCodeAt(p))) p++;
    if (!isQuote(text.charCodeAt(p))) return NEXT;
    const key = this.keyBefore(text, i);
    if (!key || !this.keys.isSensitive(text.slice(key.start, key.end))) return NEXT;
    const value = this.value(text, p, false);
    return value ? { value, next: value.end } : NEXT;
  }

  /** The key just before a separator at `sep`: up to three words, skipping a closing quote. */
  private keyBefore(text: string, sep: number): KeySpan | undefined {
    let j = sep - 1;
    let skipped = 0;
    while (
      j >= 0 &&
      skipped < 4 &&
      (isBlank(text.charCodeAt(j)) || isQuote(text.charCodeAt(j)) || text.charCodeAt(j) === 92)
    ) {
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
  private value(
    text: string,
    from: number,
    wholeLine: boolean,
    enclosing = 0,
    swallowMarkers = false,
  ): KeySpan | undefined {
    const n = text.length;
    let p = from;
    let blanks = 0;
    while (p < n && isBlank(text.charCodeAt(p)) && blanks < 8) {
      p++;
      blanks++;
    }
    if (p >= n || isLineEnd(text.charCodeAt(p))) return undefined;
    if (!swallowMarkers && text.startsWith(MARKER_PREFIX, p)) return undefined;
    // {\"password\":\"…\"}: JSON escaped inside a string opens and closes with \".
    const escaped = text.charCodeAt(p) === 92 && isQuote(text.charCodeAt(p + 1));
    if (escaped) p++;
    const q = text.charCodeAt(p);
    if (isQuote(q)) {
      const start = p + 1;
      let end = start;
      const limit = Math.min(n, start + MAX_VALUE_CHARS);
      while (end < limit) {
        const c = text.charCodeAt(end);
        if (c === 92 /* \ */) {
          if (escaped && text.charCodeAt(end + 1) === q) break;
          end += 2;
        } else if (c === q) break;
        else end++;
      }
      end = Math.min(end, n);
      return this.credentialPart(text, start, end, true, swallowMarkers);
    }
    let end = p;
    if (wholeLine) {
      while (end < n && !isLineEnd(text.charCodeAt(end)) && text.charCodeAt(end) !== enclosing) end++;
      while (end > p && isBlank(text.charCodeAt(end - 1))) end--;
    } else {
      end = this.tokenEnd(text, p, n);
    }
    return this.credentialPart(text, p, end, wholeLine, swallowMarkers);
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
    swallowMarkers = false,
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
    // A header (Digest with its several parameters) goes whole, earlier markers and all; other
    // values end at an earlier rule's marker. Bounded to the value: a search of the whole rest
    // of the text here would be quadratic.
    for (let m = s; m < end && !swallowMarkers; m++) {
      if (text.charCodeAt(m) === 91 && text.startsWith(MARKER_PREFIX, m)) {
        end = m;
        break;
      }
    }
    while (end > s && isBlank(text.charCodeAt(end - 1))) end--;
    return end > s ? { start: s, end } : undefined;
  }

  private acceptable(text: string, start: number, end: number): boolean {
    if (end - start < MIN_VALUE_CHARS || isPlaceholder(text.slice(start, end))) return false;
    // "password: required, min 12 characters": a value that starts with a state word is prose.
    let word = start;
    while (word < end && word - start <= MAX_PLACEHOLDER_CHARS && isLetter(text.charCodeAt(word))) word++;
    const boundary = word < end && !isKeyChar(text.charCodeAt(word)) && !isQuote(text.charCodeAt(word));
    return !(boundary && word > start && PLACEHOLDERS.has(text.slice(start, word).toLowerCase()));
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
    if (normal !== 'pwd' && normal !== 'oldpwd') return false;
    const first = isQuote(text.charCodeAt(sepEnd)) ? sepEnd + 1 : sepEnd;
    return text.charCodeAt(first) === 47;
  }
}

/** Keys whose value names another key (`- name: DB_PASSWORD` / `value: …`). */
const NAME_KEYS = new Set(['name', 'Name', 'key', 'Key', 'header']);
const VALUE_KEYS = new Set(['value', 'Value', 'val']);

/** What one scan remembers: the command of the current line, a secret name awaiting its value. */
class ScanState {
  private lineAt = -1;
  private lineStart = 0;
  private lineId = 0;
  private flagsLine = -1;
  private flags: ReadonlyMap<string, FlagMode> | undefined;
  private sqlLine = -1;
  private sqlSetsPassword = false;
  private namedSecretEnd = -1;

  /**
   * Which line `at` is on (an id that changes with each new line), and where that line starts
   * (at most MAX_COMMAND_LOOKBACK back). The scan moves forward, so this reads each character
   * about once: only the stretch since the last call is checked for a line end.
   */
  private line(text: string, at: number): number {
    if (this.lineAt >= 0 && at >= this.lineAt) {
      let same = true;
      for (let k = this.lineAt; k < at && same; k++) same = !isLineEnd(text.charCodeAt(k));
      this.lineAt = at;
      if (same) return this.lineId;
    }
    this.lineAt = at;
    let start = at;
    const floor = Math.max(0, at - MAX_COMMAND_LOOKBACK);
    while (start > floor && !isLineEnd(text.charCodeAt(start - 1))) start--;
    this.lineStart = start;
    return ++this.lineId;
  }

  /** The password flags of the commands on the line of `at` (read up to its first flag), if any. */
  flagsOf(text: string, at: number, keys: KeyNames): ReadonlyMap<string, FlagMode> | undefined {
    if (keys.commandFlags.size === 0) return undefined;
    const id = this.line(text, at);
    if (id === this.flagsLine) return this.flags;
    this.flagsLine = id;
    let merged: Map<string, FlagMode> | undefined;
    for (const word of text.slice(this.lineStart, at).split(COMMAND_SPLIT)) {
      const flags = keys.commandFlags.get(word);
      if (!flags) continue;
      merged ??= new Map();
      for (const [flag, mode] of flags) merged.set(flag, mode);
    }
    this.flags = merged;
    return merged;
  }

  /** Whether the line of `at` says `SET PASSWORD FOR` before its first `=`. */
  setsPassword(text: string, at: number): boolean {
    const id = this.line(text, at);
    if (id !== this.sqlLine) {
      this.sqlLine = id;
      this.sqlSetsPassword = SET_PASSWORD.test(text.slice(this.lineStart, at));
    }
    return this.sqlSetsPassword;
  }

  /** `htpasswd -b … user password`: a command whose flag (a letter in a cluster) makes its last word the password. */
  lastArgumentFlag(text: string, start: number, end: number, keys: KeyNames): boolean {
    if (keys.lastArgument.size === 0) return false;
    const line = text.slice(start, end);
    let named = false;
    for (const command of keys.lastArgument.keys()) named ||= line.includes(command);
    if (!named) return false; // most lines: no split
    const words = line.split(COMMAND_SPLIT);
    for (const [i, word] of words.entries()) {
      const letter = keys.lastArgument.get(word);
      if (letter === undefined) continue;
      for (const flag of words.slice(i + 1))
        if (flag.startsWith('-') && !flag.startsWith('--') && flag.includes(letter)) return true;
    }
    return false;
  }

  secretName(end: number): void {
    this.namedSecretEnd = end;
  }

  /** A `value` key right after a `name` that named a secret. */
  valueNamedSecret(key: string, keyStart: number): boolean {
    return (
      VALUE_KEYS.has(key) &&
      this.namedSecretEnd >= 0 &&
      keyStart > this.namedSecretEnd &&
      keyStart - this.namedSecretEnd <= MAX_NAME_VALUE_GAP
    );
  }
}

function hasDigit(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

/** Letters and digits mixed, as generated credentials are; words and numbers are not. */
/** Whether a digit occurs from `from` up to the next blank, line end or quote. */
function wordHasDigit(text: string, from: number): boolean {
  for (let p = from; p < text.length; p++) {
    const c = text.charCodeAt(p);
    if (c >= 48 && c <= 57) return true;
    if (isBlank(c) || isLineEnd(c) || isQuote(c)) return false;
  }
  return false;
}

function looksGenerated(text: string, start: number, end: number): boolean {
  let letters = 0;
  let digits = 0;
  let others = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) letters++;
    else if (c >= 48 && c <= 57) digits++;
    else others++;
  }
  if (letters === 0 || digits === 0) return false;
  // A path or URL after "token" ("token /v1/auth/refresh") is not the token.
  const first = text.charCodeAt(start);
  return first !== 47 && others <= (end - start) / 2;
}

/** A .pgpass port field: 1–5 digits or `*`. */
function isPortField(text: string, start: number, end: number): boolean {
  if (end - start === 1 && text.charCodeAt(start) === 42) return true;
  if (end <= start || end - start > 5) return false;
  for (let i = start; i < end; i++) if (!isDigitCode(text.charCodeAt(i))) return false;
  return true;
}

/** Where the command starting at `start` ends: at a redirection, a pipe or the next command. */
function commandEnd(text: string, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 62 || c === 124 || c === 59 || (c === 38 && text.charCodeAt(i + 1) === 38)) {
      let e = i;
      while (e > start && (isBlank(text.charCodeAt(e - 1)) || isDigitCode(text.charCodeAt(e - 1)))) e--; // `2>`
      return e;
    }
  }
  return end;
}

const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;

/** Windows `net use \\\\server\\share <password> /user:…`: the word after the share. */
function netUsePassword(text: string, start: number, end: number): KeySpan | undefined {
  // Searched within the line only: the whole rest of the text at every line would be quadratic.
  const found = text.slice(start, end).indexOf('net use ');
  if (found < 0) return undefined;
  const at = start + found;
  let p = at + 'net use '.length;
  while (p < end && isBlank(text.charCodeAt(p))) p++;
  // An optional drive (`Z:`, `*`) before the share.
  const drive = /^(?:[A-Za-z]:|\*)\s+/.exec(text.slice(p, Math.min(end, p + 8)));
  if (drive) p += drive[0].length;
  if (!text.startsWith('\\\\', p)) return undefined;
  while (p < end && !isBlank(text.charCodeAt(p))) p++;
  while (p < end && isBlank(text.charCodeAt(p))) p++;
  let e = p;
  while (e < end && !isBlank(text.charCodeAt(e))) e++;
  return e - p >= MIN_VALUE_CHARS && text.charCodeAt(p) !== 47 ? { start: p, end: e } : undefined;
}

/** `declare -x PWD` → `PWD`; `- name` → `name`. */
function lastWordOf(key: string): string {
  let start = key.length;
  while (start > 0 && key.charCodeAt(start - 1) !== 32) start--;
  let word = key.slice(start);
  while (word.startsWith('-')) word = word.slice(1);
  return word;
}

/**
 * Secrets in an argv array (`["mysql", "-pSecret"]`, `["deploy", "--token", "…"]`): item index →
 * where the secret starts in it (0: the whole item). The command is the first item's basename.
 */
export function argvSecrets(items: readonly string[], keys: KeyNames): Map<number, number> {
  const found = new Map<number, number>();
  const command = (items[0] ?? '').split('/').at(-1) ?? '';
  const flags = keys.commandFlags.get(command);
  for (let i = 1; i < items.length; i++) {
    const item = items[i] as string;
    if (!item.startsWith('-') || item.length > MAX_KEY_CHARS) continue;
    const mode = flags?.get(item);
    const takesNext =
      mode === ' ' ||
      mode === '*' ||
      mode === 'user%' ||
      mode === 'user:' ||
      (item.startsWith('--') && !item.includes('=') && keys.isSensitive(item.slice(2)));
    if (takesNext && i + 1 < items.length) {
      const next = items[i + 1] as string;
      const separator = mode === 'user%' ? '%' : mode === 'user:' ? ':' : '';
      const at = separator ? next.indexOf(separator) + 1 : 0;
      if (!separator || at > 0) found.set(i + 1, at);
      i++;
      continue;
    }
    const glued = flags?.get(item.slice(0, 2));
    if ((glued === '=' || glued === '*') && item.length > 2 && !item.startsWith('--')) found.set(i, 2);
  }
  return found;
}

const spacedAfter = (text: string, at: number): boolean => at < text.length && isBlank(text.charCodeAt(at));

/** A lower-case word followed by another word: a sentence goes on, no credential stands here. */
function isProse(text: string, value: KeySpan): boolean {
  for (let i = value.start; i < value.end; i++) {
    const c = text.charCodeAt(i);
    if (c < 97 || c > 122) return false;
  }
  let next = value.end;
  while (next < text.length && isBlank(text.charCodeAt(next))) next++;
  return next > value.end && next < text.length && isLetter(text.charCodeAt(next));
}
