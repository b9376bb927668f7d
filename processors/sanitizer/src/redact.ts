import type { CompiledRule, Ruleset } from './rules.ts';

/** Counts of rule hits; the caller attaches the path. Never holds the matched text. */
export type Hits = Map<string, number>;

export const redaction = (rule: string): string => `[REDACTED:${rule}]`;

function applyRule(text: string, rule: CompiledRule, hits: Hits): string {
  rule.regex.lastIndex = 0;
  if (!rule.regex.test(text)) return text;
  rule.regex.lastIndex = 0;
  let out = '';
  let from = 0;
  let count = 0;
  for (const match of text.matchAll(rule.regex)) {
    if (!rule.accept(match[0])) continue;
    // Redact only the named group 'secret' when the pattern has one, else the whole match.
    const span = match.indices?.groups?.secret ?? match.indices?.[0];
    // A value that an earlier rule already replaced stays as it is.
    if (!span || span[0] < from || text.startsWith('[REDACTED:', span[0])) continue;
    out += text.slice(from, span[0]) + redaction(rule.id);
    from = span[1];
    count += 1;
  }
  if (count === 0) return text;
  hits.set(rule.id, (hits.get(rule.id) ?? 0) + count);
  return out + text.slice(from);
}

/** Every rule, in file order (specific rules before the generic entropy rule). */
export function redactText(text: string, ruleset: Ruleset, hits: Hits): string {
  let out = text;
  for (const rule of ruleset.rules) out = applyRule(out, rule, hits);
  return out;
}
