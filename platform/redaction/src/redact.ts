import { MARKER_PREFIX, redactionMarker } from '@auditflow/schemas';
import type { Span } from './cards.ts';
import type { CompiledRule, Ruleset } from './rules.ts';

/** Counts of rule hits; the caller attaches the path. Never holds the matched text. */
export type Hits = Map<string, number>;

/** The marker that replaces `secret` (the exact text replaced), found by `rule`. */
export type Marker = (rule: string, secret: string) => string;

/** A marker without fingerprint: kept until the last caller passes a Marker. */
export const redaction = (rule: string): string => redactionMarker(rule);

/** Markers already in `text` (from an earlier rule or stage): never matched into again. */
function markerSpans(text: string): Span[] {
  const spans: Span[] = [];
  let at = text.indexOf(MARKER_PREFIX);
  while (at >= 0) {
    const close = text.indexOf(']', at + MARKER_PREFIX.length);
    if (close < 0) break;
    spans.push({ start: at, end: close + 1 });
    at = text.indexOf(MARKER_PREFIX, close + 1);
  }
  return spans;
}

const overlaps = (spans: readonly Span[], start: number, end: number): boolean =>
  spans.some((s) => start < s.end && end > s.start);

/** The spans one rule would replace in `text`, left to right, non-overlapping. */
function spansOf(text: string, rule: CompiledRule): Span[] {
  const spans: Span[] = [];
  if (rule.scan) {
    for (const span of rule.scan(text)) {
      if (rule.accept(text.slice(span.start, span.end), text, span.start, span.end)) spans.push(span);
    }
    return spans;
  }
  const regex = rule.regex as RegExp;
  regex.lastIndex = 0;
  let match = regex.exec(text);
  let from = 0;
  while (match !== null) {
    if (match[0].length === 0) regex.lastIndex++;
    else {
      const span = rule.secretSpan(match);
      if (span && span[1] > span[0] && span[0] >= from) {
        const secret = text.slice(span[0], span[1]);
        if (rule.accept(secret, text, match.index, match.index + match[0].length)) {
          spans.push({ start: span[0], end: span[1] });
          from = span[1];
        }
      }
    }
    match = regex.exec(text);
  }
  return spans;
}

/** Replaces the accepted secrets of one rule, left to right. */
export function applyRule(text: string, rule: CompiledRule, hits: Hits, mark: Marker): string {
  if (text.length < rule.minLength) return text;
  const spans = spansOf(text, rule);
  if (spans.length === 0) return text;
  const markers = text.includes(MARKER_PREFIX) ? markerSpans(text) : [];
  let out = '';
  let from = 0;
  let count = 0;
  for (const { start, end } of spans) {
    if (start < from || overlaps(markers, start, end)) continue;
    out += text.slice(from, start) + mark(rule.id, text.slice(start, end));
    from = end;
    count += 1;
  }
  if (count === 0) return text;
  hits.set(rule.id, (hits.get(rule.id) ?? 0) + count);
  return out + text.slice(from);
}

/** Shorter strings cannot hold any secret the rules know (the shortest, `pwd=abc`, has 7). */
const MIN_SECRET_TEXT = 7;

/**
 * Redacts one string. Stage 1: the provider and keyword rules whose keywords occur in it (one
 * Aho-Corasick scan), ours before the vendored ones. Stage 2: the generic rules (cards, high
 * entropy), which run on every string. A value an earlier rule replaced stays as it is.
 */
export function redactText(text: string, ruleset: Ruleset, hits: Hits, mark: Marker): string {
  if (text.length < MIN_SECRET_TEXT) return text;
  let out = text;
  for (const index of ruleset.prefilter.rulesFor(text)) {
    out = applyRule(out, ruleset.keywordRules[index] as CompiledRule, hits, mark);
  }
  // Slot: key=value pairs in free text (redactPairs, src/pairs.ts) run here, between the
  // provider rules and the generic ones.
  for (const rule of ruleset.genericRules) out = applyRule(out, rule, hits, mark);
  return out;
}
