import type { Span } from './cards.ts';

/**
 * Long tokens of base64/url-safe characters (`A-Z a-z 0-9 + / _ - .`, `=` as padding), for the
 * high-entropy rule: a hand-written scan, one pass over the text. A regex `[…]{32,}` would
 * restart inside every short word of prose and V8 cannot skip ahead for it (a lookbehind for
 * the token start made it slower still).
 *
 * Public material is not a candidate: tokens inside PEM blocks of public keys and certificates,
 * the key of an `ssh-rsa AAAA…` line, Subresource Integrity and go.sum hashes (`sha512-…`,
 * `h1:…`), Stripe publishable keys (`pk_live_…`).
 */
const MIN_TOKEN = 32;
/** Longer tokens are checked in pieces of this size (each piece is a candidate of its own). */
const MAX_TOKEN = 4096;

const TOKEN_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-.') {
  TOKEN_CHAR[c.charCodeAt(0)] = 1;
}
const EQUALS = 61;

const isTokenChar = (c: number): boolean => c < 128 && TOKEN_CHAR[c] === 1;

/** Token prefixes and the text right before a token that mark it public. */
const PUBLIC_PREFIX = /^(?:sha(?:256|384|512)-|pk_(?:live|test)_)/;
const PUBLIC_BEFORE =
  /(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d{3}|sk-ssh-ed25519@openssh\.com) $|\bh1:$/;
/** PEM labels of public material (RFC 7468 and PGP armour). */
const PUBLIC_PEM =
  /^-----BEGIN ((?:[A-Z0-9]{1,20} ){0,3}(?:PUBLIC KEY|CERTIFICATE|CERTIFICATE REQUEST|X509 CRL|PUBLIC KEY BLOCK|SIGNATURE))-----/;

/** Spans of public PEM blocks (from BEGIN to its END, or to the end of the text). */
function publicBlocks(text: string): Span[] {
  const blocks: Span[] = [];
  let at = text.indexOf('-----BEGIN ');
  while (at >= 0) {
    const label = PUBLIC_PEM.exec(text.slice(at, at + 100));
    let next = at + 11;
    if (label) {
      const endMarker = `-----END ${label[1]}-----`;
      const end = text.indexOf(endMarker, at);
      const stop = end < 0 ? text.length : end + endMarker.length;
      blocks.push({ start: at, end: stop });
      next = stop;
    }
    at = text.indexOf('-----BEGIN ', next);
  }
  return blocks;
}

/** Every maximal token of at least 32 characters, cut into pieces of at most 4096. */
export function findLongTokens(text: string): Span[] {
  const spans: Span[] = [];
  const blocks = text.includes('-----BEGIN ') ? publicBlocks(text) : [];
  let block = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isTokenChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && isTokenChar(text.charCodeAt(i))) i++;
    // `=` only as base64 padding at the end: `KEY=value` is two tokens.
    let end = i;
    while (end < n && end - i < 2 && text.charCodeAt(end) === EQUALS) end++;
    if (end < n && isTokenChar(text.charCodeAt(end))) end = i;
    else i = end;
    if (end - start < MIN_TOKEN) continue;
    while (block < blocks.length && (blocks[block] as Span).end <= start) block++;
    if (block < blocks.length && (blocks[block] as Span).start <= start) continue;
    if (PUBLIC_PREFIX.test(text.slice(start, start + 8))) continue;
    if (PUBLIC_BEFORE.test(text.slice(Math.max(0, start - 30), start))) continue;
    for (let from = start; end - from >= MIN_TOKEN; from += MAX_TOKEN) {
      spans.push({ start: from, end: Math.min(end, from + MAX_TOKEN) });
    }
  }
  return spans;
}
