import { readFileSync } from 'node:fs';
import { MARKER_PREFIX } from '@auditflow/schemas';
import AhoCorasick from 'modern-ahocorasick';
import { z } from 'zod';
import { findCards, luhnDigits, type Span } from './cards.ts';
import { KeywordPrefilter } from './prefilter.ts';
import { findLongTokens } from './tokens.ts';

/** The marker contract's rule ids (`[REDACTED:<rule>:<fingerprint>]`, @auditflow/schemas). */
const RULE_ID = /^[a-z0-9-]{1,64}$/;

/** A regex as the rule files spell it (JS syntax; the flags g and d are added). */
const regexSchema = z.strictObject({
  pattern: z.string().min(1),
  flags: z
    .string()
    .regex(/^[imsu]*$/, 'only i, m, s, u')
    .default(''),
});

/**
 * A finding that matches an allowlist is left alone (gitleaks' semantics): `regexes` are tried
 * on the secret, the whole match or its line (`target`); `stopwords` on the secret, lower-cased.
 * `or`: either allows; `and`: both must (each that is given).
 */
const allowlistSchema = z.strictObject({
  description: z.string().optional(),
  condition: z.enum(['or', 'and']).default('or'),
  target: z.enum(['secret', 'match', 'line']).default('secret'),
  regexes: z.array(regexSchema).default([]),
  stopwords: z.array(z.string().min(1)).default([]),
});

const samplesSchema = z.strictObject({
  positive: z.array(z.string()).min(1, 'every rule needs a positive sample'),
  negative: z.array(z.string()).min(1, 'every rule needs a negative sample'),
});

/** The rule format (rules/default.json documents itself in its $comment). */
const ruleSchema = z
  .strictObject({
    id: z.string().regex(RULE_ID, 'lower-case letters, digits and -, at most 64'),
    description: z.string().min(1),
    /**
     * A regex rule, or a built-in scanner for what a regex does badly: `payment-card` (digit
     * groups, IIN, Luhn), `long-token` (runs of 32+ base64/url-safe characters, for a validator).
     */
    pattern: z.string().min(1).optional(),
    scanner: z.enum(['payment-card', 'long-token']).optional(),
    flags: regexSchema.shape.flags,
    /**
     * What is replaced: a group number (0: the whole match), `first` (the first non-empty
     * group, gitleaks' default), or when absent the named group `secret` if any, else the match.
     */
    secretGroup: z.union([z.literal('first'), z.number().int().min(0)]).optional(),
    /**
     * luhn; entropy: looksRandom (mixed case and digits); shannon: entropy above minEntropy;
     * credential: has a digit, both cases or a base64 symbol (not an English word).
     */
    validator: z.enum(['luhn', 'entropy', 'shannon', 'credential']).optional(),
    minEntropy: z.number().positive().optional(),
    /**
     * The rule runs only on strings holding one of these (case-insensitive; the keyword
     * prefilter). A rule without keywords runs on every string: keep those few and cheap.
     */
    keywords: z.array(z.string().min(1)).optional(),
    allowlists: z.array(allowlistSchema).optional(),
    /** Shorter strings cannot hold a match: the rule is skipped on them (cheap generic rules). */
    minLength: z.number().int().positive().optional(),
    /** Vendored rules that upstream applies only to some file names (noted, not applied). */
    upstreamPath: z.string().optional(),
    samples: samplesSchema.optional(),
  })
  .refine((r) => (r.pattern === undefined) !== (r.scanner === undefined), {
    message: 'a rule has either a pattern or a scanner',
  });

/** Our own rules: every one carries positive and negative samples (S5), run as unit tests. */
const ownRuleSchema = ruleSchema.refine((r) => r.samples !== undefined, {
  message: 'every rule needs samples',
  path: ['samples'],
});

export const rulesetSchema = z.object({
  $comment: z.string().optional(),
  version: z.string().min(1),
  rules: z.array(ownRuleSchema).min(1),
  freeText: z.strictObject({ maxLength: z.number().int().positive() }),
});

/** A rule set vendored from upstream and translated by a script (rules/gitleaks.json). */
export const vendoredRulesetSchema = z.object({
  $comment: z.string().optional(),
  version: z.string().min(1),
  upstream: z.record(z.string(), z.string()),
  repetitionBound: z.number().int().positive(),
  /** Applies to every vendored rule (upstream's global allowlist). */
  allowlist: allowlistSchema.optional(),
  rules: z.array(ruleSchema),
  dropped: z.array(z.strictObject({ id: z.string(), reason: z.string() })),
});

export type RuleDefinition = z.output<typeof ruleSchema>;
type AllowlistDefinition = z.output<typeof allowlistSchema>;

/** Where a match's secret is, or undefined to skip the match. */
type SecretSpan = (match: RegExpExecArray) => readonly [number, number] | undefined;

export interface CompiledRule {
  readonly id: string;
  /** Run on strings that hold one of these (lower case); empty: a generic rule, always run. */
  readonly keywords: readonly string[];
  /** Strings shorter than this are skipped. */
  readonly minLength: number;
  /** Regex rules: the global, hasIndices regex. Scanner rules: undefined. */
  readonly regex: RegExp | undefined;
  /** Scanner rules: the spans to replace. */
  readonly scan: ((text: string) => readonly Span[]) | undefined;
  readonly secretSpan: SecretSpan;
  /** Validator and allowlists; `start`/`end` are the whole match's bounds in `text`. */
  readonly accept: (secret: string, text: string, start: number, end: number) => boolean;
}

export interface Ruleset {
  readonly version: string;
  readonly rules: readonly CompiledRule[];
  /** Stage 1: provider and keyword rules, selected per string by `prefilter`. */
  readonly keywordRules: readonly CompiledRule[];
  readonly prefilter: KeywordPrefilter;
  /** Stage 2: rules without keywords (cards, high entropy), on every string. */
  readonly genericRules: readonly CompiledRule[];
  readonly freeTextMaxLength: number;
  /** Our own rules, with their samples. */
  readonly definitions: readonly RuleDefinition[];
  /** The vendored rules (no samples: the tests generate them from the patterns). */
  readonly vendored: readonly RuleDefinition[];
  /** Vendored rules left out, with the reason (from the generated file). */
  readonly dropped: readonly { id: string; reason: string }[];
}

export const DEFAULT_RULES_FILE = new URL('../rules/default.json', import.meta.url);
/** The vendored gitleaks rules, generated by scripts/import-gitleaks.ts. */
export const VENDORED_RULES_FILE = new URL('../rules/gitleaks.json', import.meta.url);

/** Luhn checksum over the digits of `text`, 13 to 19 of them. */
export function luhn(text: string): boolean {
  const digits = text.replace(/\D/g, '');
  return digits.length >= 13 && digits.length <= 19 && luhnDigits(digits);
}

/** Shannon entropy in bits per character. */
export function entropy(text: string): number {
  // ASCII (nearly every secret) counts in an array; anything else in a map of code points.
  const ascii = new Uint32Array(128);
  let other: Map<string, number> | undefined;
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) ascii[c] = (ascii[c] as number) + 1;
    else {
      other ??= new Map();
      const ch = String.fromCodePoint(text.codePointAt(i) as number);
      if (ch.length === 2) i++;
      other.set(ch, (other.get(ch) ?? 0) + 1);
    }
    length++;
  }
  let bits = 0;
  const add = (n: number): void => {
    const p = n / length;
    bits -= p * Math.log2(p);
  };
  for (const n of ascii) if (n > 0) add(n);
  if (other) for (const n of other.values()) add(n);
  return bits;
}

/**
 * Random-looking: upper and lower case and digits mixed through the token, high entropy.
 * Hex digests (commit SHAs, trace ids), UUIDs, paths and branch names have one case, few
 * digits or word-like segments, and are left alone.
 */
export function looksRandom(token: string, minEntropy: number): boolean {
  // One pass over char codes: this runs for every long token in every event.
  let upper = 0;
  let lower = 0;
  let digits = 0;
  let segments = 1;
  let longest = 0;
  let run = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 65 && c <= 90) upper++;
    else if (c >= 97 && c <= 122) lower++;
    else if (c >= 48 && c <= 57) digits++;
    else {
      segments++;
      if (run > longest) longest = run;
      run = 0;
      continue;
    }
    run++;
  }
  if (run > longest) longest = run;
  if (upper < 3 || lower < 3 || digits < 3) return false;
  // Word-like segments (feature/ABC-1234-fix-flaky-tests) are not secrets.
  if (segments >= 3 && longest < 16) return false;
  return entropy(token) >= minEntropy;
}

const SCANNERS = { 'payment-card': findCards, 'long-token': findLongTokens } as const;

const compileRegex = (r: { pattern: string; flags: string }): RegExp => new RegExp(r.pattern, `${r.flags}gd`);

/** How far a `line` allowlist looks either side of the match. */
const LINE_WINDOW = 256;

/** The text an allowlist regex is tried on. */
function allowlistTarget(
  target: AllowlistDefinition['target'],
  secret: string,
  text: string,
  start: number,
  end: number,
): string {
  if (target === 'secret') return secret;
  if (target === 'match') {
    // The import drops gitleaks' lazy key-name prefix `[\w.-]{0,50}?` from the patterns; give
    // it back here, where a match allowlist (`random_access`, `public_key`) looks for it.
    let from = start;
    while (from > 0 && start - from < 50 && /[\w.-]/.test(text[from - 1] as string)) from--;
    return text.slice(from, end);
  }
  // The line, but at most LINE_WINDOW characters either side of the match: a 1 MB one-line
  // string would otherwise be scanned once per match (quadratic).
  const before = text.slice(Math.max(0, start - LINE_WINDOW), start);
  const after = text.slice(end, end + LINE_WINDOW);
  const newline = after.indexOf('\n');
  return (
    before.slice(before.lastIndexOf('\n') + 1) +
    text.slice(start, end) +
    (newline < 0 ? after : after.slice(0, newline))
  );
}

type Allowed = (secret: string, text: string, start: number, end: number) => boolean;

function compileAllowlist(list: AllowlistDefinition): Allowed {
  const regexes = list.regexes.map((r) => new RegExp(r.pattern, r.flags));
  // One automaton per list: generic-api-key has some 1,400 stopwords, tried on every match.
  const stopwords =
    list.stopwords.length > 0 ? new AhoCorasick(list.stopwords.map((w) => w.toLowerCase())) : undefined;
  return (secret, text, start, end) => {
    const checks: boolean[] = [];
    if (regexes.length > 0) {
      const target = allowlistTarget(list.target, secret, text, start, end);
      checks.push(regexes.some((r) => r.test(target)));
    }
    if (stopwords) checks.push(stopwords.match(secret.toLowerCase()));
    return list.condition === 'and' ? checks.every(Boolean) : checks.some(Boolean);
  };
}

function secretSpanOf(rule: RuleDefinition): SecretSpan {
  const group = rule.secretGroup;
  if (group === 'first') {
    return (m) => {
      const indices = m.indices as RegExpIndicesArray;
      for (let g = 1; g < m.length; g++) if (m[g]) return indices[g];
      return indices[0];
    };
  }
  if (typeof group === 'number') return (m) => m.indices?.[group];
  return (m) => m.indices?.groups?.secret ?? m.indices?.[0];
}

function validatorOf(rule: RuleDefinition): (secret: string) => boolean {
  const min = rule.minEntropy;
  switch (rule.validator) {
    case 'luhn':
      return luhn;
    case 'entropy':
      return (s) => looksRandom(s, min ?? 4);
    case 'shannon':
      return (s) => entropy(s) > (min ?? 0);
    case 'credential':
      return looksLikeCredential;
    default:
      return () => true;
  }
}

/** `Token verified`, `Bearer of`: a word is not a credential; `dXNlcjpwYXNz`, `abc9` are. */
export function looksLikeCredential(value: string): boolean {
  return /\d|[+/=]/.test(value) || (/[a-z]/.test(value) && /[A-Z]/.test(value));
}

function compileRule(rule: RuleDefinition, shared: readonly Allowed[]): CompiledRule {
  const valid = validatorOf(rule);
  const allowed = [...shared, ...(rule.allowlists ?? []).map(compileAllowlist)];
  return {
    id: rule.id,
    keywords: (rule.keywords ?? []).map((k) => k.toLowerCase()),
    minLength: rule.minLength ?? 0,
    regex:
      rule.pattern === undefined ? undefined : compileRegex({ pattern: rule.pattern, flags: rule.flags }),
    scan: rule.scanner === undefined ? undefined : SCANNERS[rule.scanner],
    secretSpan: secretSpanOf(rule),
    accept: (secret, text, start, end) =>
      valid(secret) && !secret.startsWith(MARKER_PREFIX) && !allowed.some((a) => a(secret, text, start, end)),
  };
}

function readJson(file: URL | string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function fail(file: URL | string, error: z.ZodError, rules: readonly { id?: unknown }[]): never {
  const lines = error.issues.map((i) => {
    const at = i.path[0] === 'rules' && typeof i.path[1] === 'number' ? rules[i.path[1]]?.id : undefined;
    return `${i.path.join('.')}${typeof at === 'string' ? ` (rule '${at}')` : ''}: ${i.message}`;
  });
  throw new Error(`invalid sanitizer rules in ${String(file)}: ${lines.join('; ')}`);
}

function rulesOf(raw: unknown): readonly { id?: unknown }[] {
  const rules = (raw as { rules?: unknown } | null)?.rules;
  return Array.isArray(rules) ? rules : [];
}

function compileAll(rules: readonly RuleDefinition[], shared: readonly Allowed[]): CompiledRule[] {
  return rules.map((rule) => {
    try {
      return compileRule(rule, shared);
    } catch (err) {
      throw new Error(`sanitizer rule '${rule.id}' has an invalid pattern: ${(err as Error).message}`);
    }
  });
}

/**
 * Loads and validates the rules once at start: our own file (default.json, or the file the
 * AUDITFLOW_SANITIZER_RULES setting names) plus the vendored set. Errors name the file and the
 * rule. A vendored rule with the same id as one of ours is replaced by ours.
 */
export function loadRuleset(
  file: URL | string = DEFAULT_RULES_FILE,
  vendoredFile: URL | string | null = VENDORED_RULES_FILE,
): Ruleset {
  const raw = readJson(file);
  const own = rulesetSchema.safeParse(raw);
  if (!own.success) fail(file, own.error, rulesOf(raw));
  const ids = new Set<string>();
  for (const rule of own.data.rules) {
    if (ids.has(rule.id))
      throw new Error(`invalid sanitizer rules in ${String(file)}: rule '${rule.id}' appears twice`);
    ids.add(rule.id);
  }
  let vendored: RuleDefinition[] = [];
  let dropped: { id: string; reason: string }[] = [];
  let vendoredVersion: string | undefined;
  let shared: Allowed[] = [];
  if (vendoredFile !== null) {
    const rawVendored = readJson(vendoredFile);
    const parsed = vendoredRulesetSchema.safeParse(rawVendored);
    if (!parsed.success) fail(vendoredFile, parsed.error, rulesOf(rawVendored));
    vendored = parsed.data.rules.filter((r) => !ids.has(r.id));
    dropped = parsed.data.dropped;
    vendoredVersion = parsed.data.version;
    shared = parsed.data.allowlist ? [compileAllowlist(parsed.data.allowlist)] : [];
  }
  // Our rules first (specific before generic), then the vendored ones.
  const rules = [...compileAll(own.data.rules, []), ...compileAll(vendored, shared)];
  const keywordRules = rules.filter((r) => r.keywords.length > 0);
  return {
    version: vendoredVersion ? `${own.data.version}+${vendoredVersion}` : own.data.version,
    rules,
    keywordRules,
    prefilter: new KeywordPrefilter(keywordRules.map((r) => r.keywords)),
    genericRules: rules.filter((r) => r.keywords.length === 0),
    freeTextMaxLength: own.data.freeText.maxLength,
    definitions: own.data.rules,
    vendored,
    dropped,
  };
}
