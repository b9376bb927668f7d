import type { Span } from './cards.ts';

/**
 * Long tokens of base64/url-safe characters (`A-Z a-z 0-9 + / _ = -`), for the high-entropy
 * rule: a hand-written scan, one pass over the text. A regex `[…]{32,}` would restart inside
 * every short word of prose (31 characters per start in the worst case) and V8 cannot skip
 * ahead for it; a lookbehind for the token start made it slower still.
 */
const MIN_TOKEN = 32;
/** Longer tokens are checked in pieces of this size (each piece is a candidate of its own). */
const MAX_TOKEN = 4096;

const TOKEN_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_=-') {
  TOKEN_CHAR[c.charCodeAt(0)] = 1;
}

const isTokenChar = (c: number): boolean => c < 128 && TOKEN_CHAR[c] === 1;

/** Every maximal token of at least 32 characters, cut into pieces of at most 4096. */
export function findLongTokens(text: string): Span[] {
  const spans: Span[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isTokenChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && isTokenChar(text.charCodeAt(i))) i++;
    for (let from = start; i - from >= MIN_TOKEN; from += MAX_TOKEN) {
      spans.push({ start: from, end: Math.min(i, from + MAX_TOKEN) });
    }
  }
  return spans;
}
