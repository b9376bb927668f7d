import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Sensitive key names, decided on words rather than whole names (issue 13, S1): `db_password`,
 * `mysqlRootPassword`, `X-Vault-Token` and `stripe-api-key` hold secrets; `token_count`,
 * `password_policy` and `max_tokens` only describe them. The word lists are data
 * (rules/key-names.json) so an operator can extend them without code (S5).
 */

export const FLAG_MODES = ['=', ' ', '*', ':', 'user%', 'user:'] as const;
export type FlagMode = (typeof FLAG_MODES)[number];

const keyNamesSchema = z.strictObject({
  $comment: z.string().optional(),
  /** One word that holds a secret on its own: `password`, `token`, `cookie`. */
  secretWords: z.array(z.string().regex(/^[a-z0-9]+$/)).min(1),
  /** Words that hold a secret only after one of the qualifiers: `api key`, `access tokens`. */
  qualifiedWords: z.record(z.string().regex(/^[a-z0-9]+$/), z.array(z.string().regex(/^[a-z0-9]+$/)).min(1)),
  /** Suffixes of a single run-together word: `dbpassword`, `mysqlrootpassword`, `xapikey`. */
  secretSuffixes: z.array(z.string().regex(/^[a-z0-9]{4,}$/)),
  /** After the secret word, these make the key describe the secret: `token_count`, `password_policy`. */
  describingWords: z.array(z.string().regex(/^[a-z0-9]+$/)),
  /** Before the secret word, these do the same: `max_password_length`, `is_password_set`. */
  describingPrefixes: z.array(z.string().regex(/^[a-z0-9]+$/)),
  /** Word sequences that name a secret even with a describing word in them (`private key id`). */
  secretPhrases: z.array(z.string().regex(/^[a-z0-9]+( [a-z0-9]+)*$/)).default([]),
  /** Per command, the flags that take a password and how (see the file's $comment). */
  commandFlags: z
    .record(z.string().min(1), z.record(z.string().regex(/^(-{1,2}|\/)[A-Za-z0-9-]+$/), z.enum(FLAG_MODES)))
    .default({}),
  /** Commands whose last word is the password when this one-letter flag is given (`htpasswd -b`). */
  lastArgument: z.record(z.string().min(1), z.string().regex(/^[A-Za-z]$/)).default({}),
  /**
   * Commands that read a password piped in by `echo`/`printf`: the flag that must be on the
   * line (`--stdin`, `--password-stdin`), '' for none, or 'user:' for `user:password` lines.
   */
  stdinPassword: z.record(z.string().min(1), z.string()).default({}),
});

export type KeyNamesDefinition = z.output<typeof keyNamesSchema>;

export const DEFAULT_KEY_NAMES_FILE = new URL('../rules/key-names.json', import.meta.url);

/** The longest key name that is split into words; longer keys are judged by their first part. */
const MAX_KEY_CHARS = 256;
/** Distinct key names remembered; event keys repeat, but an attacker can send endless new ones. */
const CACHE_LIMIT = 20_000;

const isLower = (c: number): boolean => c >= 97 && c <= 122;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Splits a key into lower-case words: snake, kebab, camel, Pascal, dotted, header case,
 * ALL_CAPS and acronyms (`APIKey` → api, key; `oauth2Token` → oauth, 2, token). One pass, no
 * regex: keys are untrusted.
 */
export function keyWords(key: string): string[] {
  const words: string[] = [];
  const text = key.length > MAX_KEY_CHARS ? key.slice(0, MAX_KEY_CHARS) : key;
  let start = -1;
  const flush = (end: number) => {
    if (start >= 0 && end > start) words.push(text.slice(start, end).toLowerCase());
    start = -1;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const alnum = isLower(c) || isUpper(c) || isDigit(c);
    if (!alnum) {
      flush(i);
      continue;
    }
    if (start < 0) {
      start = i;
      continue;
    }
    const prev = text.charCodeAt(i - 1);
    const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
    const boundary =
      (isUpper(c) && (isLower(prev) || isDigit(prev))) || // dbPassword, oauth2Token
      (isUpper(c) && isUpper(prev) && isLower(next)) || // APIKey → API | Key
      (isDigit(c) && !isDigit(prev)) || // password2
      (!isDigit(c) && isDigit(prev)); // 2fa → 2 | fa
    if (boundary) {
      flush(i);
      start = i;
    }
  }
  flush(text.length);
  return words;
}

export class KeyNames {
  private readonly secret: ReadonlySet<string>;
  private readonly qualified: ReadonlyMap<string, ReadonlySet<string>>;
  private readonly suffixes: readonly string[];
  private readonly describing: ReadonlySet<string>;
  private readonly prefixes: ReadonlySet<string>;
  private readonly phrases: readonly string[];
  private readonly gate: RegExp;
  /** Command name → its password flags. */
  readonly commandFlags: ReadonlyMap<string, ReadonlyMap<string, FlagMode>>;
  /** Command name → the flag letter that makes its last word a password. */
  readonly lastArgument: ReadonlyMap<string, string>;
  /** Command name → what makes it read a password from stdin (see the schema). */
  readonly stdinPassword: ReadonlyMap<string, string>;
  private readonly cache = new Map<string, boolean>();
  private readonly endingCache = new Map<string, boolean>();

  constructor(definition: KeyNamesDefinition) {
    this.secret = new Set(definition.secretWords);
    this.qualified = new Map(Object.entries(definition.qualifiedWords).map(([w, q]) => [w, new Set(q)]));
    this.suffixes = definition.secretSuffixes;
    this.describing = new Set(definition.describingWords);
    this.prefixes = new Set(definition.describingPrefixes);
    this.phrases = definition.secretPhrases;
    // Every word a verdict of "secret" can rest on; a key holds one of them as a substring of
    // its lower-case form, whatever its naming style. Literal alternatives only: linear.
    const words = new Set([
      ...definition.secretWords,
      ...Object.keys(definition.qualifiedWords),
      ...definition.secretSuffixes,
      ...definition.secretPhrases.flatMap((phrase) => phrase.split(' ')),
    ]);
    this.gate = new RegExp([...words].sort((a, b) => b.length - a.length).join('|'), 'i');
    this.lastArgument = new Map(Object.entries(definition.lastArgument));
    this.stdinPassword = new Map(Object.entries(definition.stdinPassword));
    this.commandFlags = new Map(
      Object.entries(definition.commandFlags).map(([command, flags]) => [
        command,
        new Map(Object.entries(flags)),
      ]),
    );
  }

  /** Whether the value under this key is a secret (redacted whole). */
  isSensitive(key: string): boolean {
    // Most keys (and most words before a `:` in free text: times, ids, hosts) hold none of the
    // words at all: one native scan says so before any splitting or caching.
    if (!this.gate.test(key)) return false;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const verdict = this.judge(keyWords(key));
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(key, verdict);
    return verdict;
  }

  /**
   * Whether the key's last words are a secret term: for keys written with blanks in prose
   * ("my api key: …"), where a secret word earlier ("Bearer realm=…") names nothing.
   */
  endsWithSecret(key: string): boolean {
    if (!this.isSensitive(key)) return false;
    const cached = this.endingCache.get(key);
    if (cached !== undefined) return cached;
    const words = keyWords(key);
    const joined = ` ${words.join(' ')}`;
    const verdict =
      words.length > 0 &&
      (this.isSecretTermAt(words, words.length - 1) || this.phrases.some((p) => joined.endsWith(` ${p}`)));
    if (this.endingCache.size >= CACHE_LIMIT) this.endingCache.clear();
    this.endingCache.set(key, verdict);
    return verdict;
  }

  /** Whether these words, as a key, name a secret: a secret term not followed by a describing word. */
  judge(words: readonly string[]): boolean {
    if (this.phrases.length > 0) {
      const joined = ` ${words.join(' ')} `;
      for (const phrase of this.phrases) if (joined.includes(` ${phrase} `)) return true;
    }
    // The last secret term decides: in `password_reset_token` the token is the value.
    for (let i = words.length - 1; i >= 0; i--) {
      if (!this.isSecretTermAt(words, i)) continue;
      for (let j = i + 1; j < words.length; j++) if (this.describing.has(words[j] as string)) return false;
      for (let j = 0; j < i; j++) if (this.prefixes.has(words[j] as string)) return false;
      return true;
    }
    return false;
  }

  private isSecretTermAt(words: readonly string[], i: number): boolean {
    const word = words[i] as string;
    if (this.secret.has(word)) return true;
    const qualifiers = this.qualified.get(word);
    if (qualifiers && i > 0 && qualifiers.has(words[i - 1] as string)) return true;
    for (const suffix of this.suffixes) if (word.length > suffix.length && word.endsWith(suffix)) return true;
    return false;
  }
}

/** Loads and validates the key-name words once at start; errors name the file and the entry. */
export function loadKeyNames(file: URL | string = DEFAULT_KEY_NAMES_FILE): KeyNames {
  const parsed = keyNamesSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid sanitizer key names in ${String(file)}: ${lines.join('; ')}`);
  }
  return new KeyNames(parsed.data);
}
