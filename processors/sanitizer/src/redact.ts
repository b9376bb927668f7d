import type { CompiledRule, Ruleset } from './rules.ts';

/** Counts of rule hits; the caller attaches the path. Never holds the matched text. */
export type Hits = Map<string, number>;

export const redaction = (rule: string): string => `[REDACTED:${rule}]`;

function applyRule(text: string, rule: CompiledRule, hits: Hits): string {
  if (rule.requires && !rule.requires.some((needle) => text.includes(needle))) return text;
  const regex = rule.regex;
  regex.lastIndex = 0;
  let match = regex.exec(text);
  if (match === null) return text;
  let out = '';
  let from = 0;
  let count = 0;
  while (match !== null) {
    if (match[0].length === 0) regex.lastIndex++;
    else if (rule.accept(match[0])) {
      // Redact only the named group 'secret' when the pattern has one, else the whole match.
      const span = match.indices?.groups?.secret ?? match.indices?.[0];
      // A value that an earlier rule already replaced stays as it is.
      if (span && span[0] >= from && !text.startsWith('[REDACTED:', span[0])) {
        out += text.slice(from, span[0]) + redaction(rule.id);
        from = span[1];
        count += 1;
      }
    }
    match = regex.exec(text);
  }
  if (count === 0) return text;
  hits.set(rule.id, (hits.get(rule.id) ?? 0) + count);
  return out + text.slice(from);
}

/** Shorter strings cannot hold any secret the rules know (the shortest, `pwd=abc`, has 7). */
const MIN_SECRET_TEXT = 7;

/** Every rule, in file order (specific rules before the generic entropy rule). */
export function redactText(text: string, ruleset: Ruleset, hits: Hits): string {
  if (text.length < MIN_SECRET_TEXT) return text;
  let out = text;
  for (const rule of ruleset.rules) out = applyRule(out, rule, hits);
  return out;
}
