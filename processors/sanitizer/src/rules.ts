import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** The rule file's format (rules/default.json documents itself in its $comment). */
const ruleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and -'),
  description: z.string().min(1),
  pattern: z.string().min(1),
  flags: z
    .string()
    .regex(/^[imsu]*$/, 'only i, m, s, u')
    .default(''),
  validator: z.enum(['luhn', 'entropy']).optional(),
  minEntropy: z.number().positive().optional(),
  /** Substrings of which one must occur for the rule to run at all (case-sensitive prefilter). */
  requires: z.array(z.string().min(1)).optional(),
  samples: z.strictObject({
    positive: z.array(z.string()).min(1, 'every rule needs a positive sample'),
    negative: z.array(z.string()).min(1, 'every rule needs a negative sample'),
  }),
});

export const rulesetSchema = z.object({
  version: z.string().min(1),
  rules: z.array(ruleSchema).min(1),
  fieldNames: z.array(z.string().min(1)),
  freeText: z.strictObject({ maxLength: z.number().int().positive() }),
});

export type RuleDefinition = z.output<typeof ruleSchema>;

export interface CompiledRule {
  readonly id: string;
  readonly regex: RegExp;
  readonly requires: readonly string[] | undefined;
  readonly accept: (match: string) => boolean;
}

export interface Ruleset {
  readonly version: string;
  readonly rules: readonly CompiledRule[];
  /** Normalised (lower case, no - or _) key names whose values are redacted whole. */
  readonly fieldNames: ReadonlySet<string>;
  readonly freeTextMaxLength: number;
  readonly definitions: readonly RuleDefinition[];
}

export const DEFAULT_RULES_FILE = new URL('../rules/default.json', import.meta.url);

/** Luhn checksum over the digits of `text`, 13 to 19 of them. */
export function luhn(text: string): boolean {
  const digits = text.replace(/\D/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Shannon entropy in bits per character. */
export function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
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

function compileRule(rule: RuleDefinition): CompiledRule {
  const regex = new RegExp(rule.pattern, `${rule.flags}gd`);
  const accept =
    rule.validator === 'luhn'
      ? luhn
      : rule.validator === 'entropy'
        ? (m: string) => looksRandom(m, rule.minEntropy ?? 4)
        : () => true;
  return { id: rule.id, regex, requires: rule.requires, accept };
}

const normaliseKey = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');

export function isSensitiveKey(ruleset: Ruleset, key: string): boolean {
  return ruleset.fieldNames.has(normaliseKey(key));
}

/** Loads and validates a rule file once at start; errors name the rule and the setting. */
export function loadRuleset(file: URL | string = DEFAULT_RULES_FILE): Ruleset {
  const parsed = rulesetSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid sanitizer rules in ${String(file)}: ${lines.join('; ')}`);
  }
  const rules = parsed.data.rules.map((rule) => {
    try {
      return compileRule(rule);
    } catch (err) {
      throw new Error(`sanitizer rule '${rule.id}' has an invalid pattern: ${(err as Error).message}`);
    }
  });
  return {
    version: parsed.data.version,
    rules,
    fieldNames: new Set(parsed.data.fieldNames.map(normaliseKey)),
    freeTextMaxLength: parsed.data.freeText.maxLength,
    definitions: parsed.data.rules,
  };
}
