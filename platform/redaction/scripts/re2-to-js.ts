/**
 * Translates a Go RE2 pattern (gitleaks' rule syntax) into a JavaScript regex source that runs
 * on V8's backtracking engine in linear time:
 * - inline flags (`(?i)` in the middle, `(?i:…)`, `(?-i:…)`, `(?s:…)`) become explicit case
 *   folding (`[aA]`, `[a-zA-Z]`) and `[\s\S]`, since Node 20 has no regex modifiers; a pattern
 *   that is case-insensitive throughout keeps the `i` flag instead;
 * - `[[:alnum:]]`-style classes, `\z`, `\A`, `(?P<name>` get their JS spelling;
 * - every unbounded repetition (`*`, `+`, `{n,}`) gets an upper bound, so that no attempt from
 *   one start position can scan further than the bound (a run of a rule's own characters with no
 *   terminator would otherwise cost O(n) per start, O(n²) per string);
 * - the lazy key-name prefix `[\w.-]{0,50}?` that gitleaks puts in front of its key=value rules
 *   is dropped: it only widens the match to the left (never the secret group) and costs 50
 *   attempts per start position.
 * Anything it does not understand throws (the importer then drops the rule and says why).
 */

export interface JsPattern {
  readonly source: string;
  readonly flags: string;
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  digit: '0-9',
  lower: 'a-z',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f',
  space: '\\t\\n\\v\\f\\r ',
  punct: '!-\\/:-@\\[-`{-~',
  word: '\\w',
};

/** The bound of an unbounded `.` repetition (see quantifier()). */
const DOT_BOUND = 100;

const LAZY_KEY_PREFIX = '[\\w.-]{0,50}?';

/** Removes gitleaks' leading lazy key-name prefix (at the very start, or inside a leading `(?i:`). */
export function dropLazyPrefix(pattern: string): string {
  let out = pattern;
  for (const lead of ['', '(?i)']) {
    if (out.startsWith(lead + LAZY_KEY_PREFIX)) out = lead + out.slice(lead.length + LAZY_KEY_PREFIX.length);
  }
  if (out.startsWith(`(?i:${LAZY_KEY_PREFIX}`)) out = `(?i:${out.slice(4 + LAZY_KEY_PREFIX.length)}`;
  return out;
}

interface Range {
  lo: number;
  hi: number;
}

const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** A character as it may appear inside a JS class (or outside one when `outside`). */
function emitChar(c: number, outside = false): string {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9 _,:;'"!@#%&=<>~`]/.test(ch)) return ch;
  if (!outside && /[.*+?(){}|$/]/.test(ch)) return ch;
  if (c < 0x20 || c > 0x7e) return `\\u${c.toString(16).padStart(4, '0')}`;
  return `\\${ch}`;
}

/** The other case's ranges for the letters inside `r`. */
function foldRange(r: Range): Range[] {
  const out: Range[] = [];
  for (const [from, to, shift] of [
    [97, 122, -32],
    [65, 90, 32],
  ] as const) {
    const lo = Math.max(r.lo, from);
    const hi = Math.min(r.hi, to);
    if (lo <= hi) out.push({ lo: lo + shift, hi: hi + shift });
  }
  return out;
}

class Translator {
  private pos = 0;
  private readonly out: string[] = [];
  /** Whether the atom before the next quantifier is `.` (any character but a newline). */
  private dotAtom = false;

  constructor(
    private readonly src: string,
    private readonly bound: number,
  ) {}

  translate(ignoreCase: boolean): string {
    this.group(ignoreCase, false, true);
    if (this.pos < this.src.length) throw new Error(`unbalanced ')' at ${this.pos}`);
    return this.out.join('');
  }

  private peek(offset = 0): string {
    return this.src[this.pos + offset] ?? '';
  }

  /** Emits a sequence until the matching ')' (consumed by the caller) or the end. */
  private group(ci: boolean, dotAll: boolean, top: boolean): void {
    while (this.pos < this.src.length) {
      const ch = this.peek();
      if (ch === ')') {
        if (top) throw new Error(`unbalanced ')' at ${this.pos}`);
        return;
      }
      if (ch === '(') {
        if (this.src.startsWith('(?i)', this.pos)) {
          this.pos += 4;
          ci = true; // to the end of the enclosing group, as in RE2
          continue;
        }
        this.openGroup(ci, dotAll);
        this.quantifier();
        continue;
      }
      if (ch === '[') this.out.push(this.charClass(ci));
      else if (ch === '\\') this.out.push(this.escape(ci));
      else if (ch === '.') {
        this.pos++;
        this.out.push(dotAll ? '[\\s\\S]' : '[^\\n]');
        this.dotAtom = true;
      } else if (ch === '|' || ch === '^' || ch === '$') {
        this.pos++;
        this.out.push(ch);
        continue;
      } else if (ch === '*' || ch === '+' || ch === '?') {
        throw new Error(`repetition without operand at ${this.pos}`);
      } else if (ch === '{' && this.repetitionAt(this.pos)) {
        throw new Error(`repetition without operand at ${this.pos}`);
      } else {
        this.pos++;
        const c = ch.charCodeAt(0);
        this.out.push(ci && isLetter(c) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : emitChar(c, true));
      }
      this.quantifier();
    }
    if (!top) throw new Error('unterminated group');
  }

  private openGroup(ci: boolean, dotAll: boolean): void {
    const rest = this.src.slice(this.pos);
    const flagged = /^\(\?(-?)([is]+):/.exec(rest);
    let innerCi = ci;
    let innerDotAll = dotAll;
    if (flagged) {
      const on = flagged[1] !== '-';
      if (flagged[2]?.includes('i')) innerCi = on;
      if (flagged[2]?.includes('s')) innerDotAll = on;
      this.pos += flagged[0].length;
      this.out.push('(?:');
    } else if (rest.startsWith('(?:')) {
      this.pos += 3;
      this.out.push('(?:');
    } else if (/^\(\?P?<[A-Za-z_][A-Za-z0-9_]*>/.test(rest)) {
      const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest) as RegExpExecArray;
      this.pos += named[0].length;
      this.out.push(`(?<${named[1]}>`);
    } else if (rest.startsWith('(?')) {
      throw new Error(`unsupported group syntax ${rest.slice(0, 6)}`);
    } else {
      this.pos += 1;
      this.out.push('(');
    }
    this.group(innerCi, innerDotAll, false);
    this.pos += 1; // ')'
    this.out.push(')');
  }

  private repetitionAt(at: number): RegExpExecArray | null {
    return /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(at));
  }

  /** A quantifier after an atom, with every upper bound made finite. */
  private quantifier(): void {
    const ch = this.peek();
    let min: number;
    let max: number | undefined;
    if (ch === '*' || ch === '+' || ch === '?') {
      this.pos++;
      min = ch === '+' ? 1 : 0;
      max = ch === '?' ? 1 : undefined;
    } else if (ch === '{' && this.repetitionAt(this.pos)) {
      const m = this.repetitionAt(this.pos) as RegExpExecArray;
      this.pos += m[0].length;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? undefined : Number(m[3]);
    } else {
      this.dotAtom = false;
      return;
    }
    const lazy = this.peek() === '?';
    if (lazy) this.pos++;
    if (this.peek() === '*' || this.peek() === '+' || this.peek() === '?' || this.peek() === '{') {
      if (this.peek() !== '{' || this.repetitionAt(this.pos))
        throw new Error(`nested repetition at ${this.pos}`);
    }
    // `.*` spans filler between two parts of a match (`curl … -H`): a shorter bound, as every
    // start position may scan that far.
    const bound = this.dotAtom ? Math.min(this.bound, DOT_BOUND) : this.bound;
    this.dotAtom = false;
    const upper = max ?? min + bound;
    const q = min === 0 && upper === 1 ? '?' : min === upper ? `{${min}}` : `{${min},${upper}}`;
    this.out.push(lazy ? `${q}?` : q);
  }

  private escape(ci: boolean): string {
    const next = this.peek(1);
    if (next === '') throw new Error('trailing backslash');
    if (next === 'x') {
      const hex = /^\\x([0-9A-Fa-f]{2})/.exec(this.src.slice(this.pos));
      if (!hex) throw new Error(`unsupported \\x escape at ${this.pos}`);
      this.pos += 4;
      const c = Number.parseInt(hex[1] as string, 16);
      return ci && isLetter(c)
        ? `[${String.fromCharCode(c | 32)}${String.fromCharCode(c & ~32)}]`
        : `\\x${hex[1]}`;
    }
    this.pos += 2;
    if (next === 'z') return '$';
    if (next === 'A') return '^';
    if ('dDwWsSbBnrtfv'.includes(next)) return `\\${next}`;
    if (/[A-Za-z0-9]/.test(next)) throw new Error(`unsupported escape \\${next}`);
    return emitChar(next.charCodeAt(0), true);
  }

  /** A bracket class, case-folded by hand when `ci`. */
  private charClass(ci: boolean): string {
    this.pos++; // '['
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    const parts: string[] = [];
    const ranges: Range[] = [];
    let first = true;
    while (true) {
      const ch = this.peek();
      if (ch === '') throw new Error('unterminated character class');
      if (ch === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (this.src.startsWith('[:', this.pos)) {
        const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.src.slice(this.pos));
        const body = posix ? POSIX_CLASSES[posix[2] as string] : undefined;
        if (!posix || body === undefined || posix[1] === '^') throw new Error('unsupported POSIX class');
        this.pos += posix[0].length;
        parts.push(body);
        continue;
      }
      const lo = this.classAtom(parts);
      if (lo === undefined) continue;
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== '') {
        this.pos++;
        const hi = this.classAtom(parts);
        if (hi === undefined) throw new Error('class range to a class escape');
        if (hi < lo) throw new Error('class range out of order');
        ranges.push({ lo, hi });
      } else ranges.push({ lo, hi: lo });
    }
    const all = ci ? [...ranges, ...ranges.flatMap(foldRange)] : ranges;
    const body = all.map((r) => (r.lo === r.hi ? emitChar(r.lo) : `${emitChar(r.lo)}-${emitChar(r.hi)}`));
    return `[${negated ? '^' : ''}${parts.join('')}${body.join('')}]`;
  }

  /** One class member: its char code, or undefined after pushing a class escape like `\w`. */
  private classAtom(parts: string[]): number | undefined {
    const ch = this.peek();
    if (ch !== '\\') {
      this.pos++;
      return ch.charCodeAt(0);
    }
    const next = this.peek(1);
    if (next === 'x') {
      const hex = /^\\x([0-9A-Fa-f]{2})/.exec(this.src.slice(this.pos));
      if (!hex) throw new Error('unsupported \\x escape in class');
      this.pos += 4;
      return Number.parseInt(hex[1] as string, 16);
    }
    this.pos += 2;
    if ('dDwWsS'.includes(next)) {
      parts.push(`\\${next}`);
      return undefined;
    }
    const control: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11 };
    if (control[next] !== undefined) return control[next];
    if (/[A-Za-z0-9]/.test(next)) throw new Error(`unsupported escape \\${next} in class`);
    return next.charCodeAt(0);
  }
}

/** The JS form of an RE2 pattern; `bound` caps every unbounded repetition. */
export function re2ToJs(pattern: string, bound: number): JsPattern {
  let src = dropLazyPrefix(pattern);
  // A pattern that is case-insensitive throughout keeps the cheaper `i` flag.
  if (src.startsWith('(?i)') && !src.includes('(?-i')) {
    src = src.slice(4);
    return { source: new Translator(src, bound).translate(false), flags: 'i' };
  }
  return { source: new Translator(src, bound).translate(false), flags: '' };
}
