/**
 * Payment card numbers in free text: a hand-written scanner over digit groups (linear time).
 * A card is one to six consecutive groups of digits, separated by single spaces or dashes,
 * 13 to 19 digits in all, with a known issuer prefix (IIN) and length, and a valid Luhn check.
 * Groups around it (an expiry `12/25`, an order number before it) do not hide it: every group
 * boundary is tried as a start. A number glued to letters or other digits is not a card
 * (hex digests, ids), and neither is anything failing IIN or Luhn (order numbers, phones).
 */

export interface Span {
  readonly start: number;
  readonly end: number;
}

const MIN_DIGITS = 13;
const MAX_DIGITS = 19;
/** A group inside a spaced or dashed card has at least 3 digits (4-4-4-4, 4-6-5, 4-6-4). */
const MIN_GROUP = 3;

const THREE_DIGITS = /\d{3}/g;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlnum = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** Luhn checksum over a string of digits only. */
export function luhnDigits(digits: string): boolean {
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

/** Whether a number of `length` digits starting with `prefix` (its first 6) has a known issuer. */
export function knownIssuer(prefix: string, length: number): boolean {
  const n = length;
  const p6 = Number(prefix.slice(0, 6));
  const p4 = Math.floor(p6 / 100);
  const p3 = Math.floor(p6 / 1000);
  const p2 = Math.floor(p6 / 10000);
  if (p2 >= 40 && p2 <= 49) return n === 13 || n === 16 || n === 19; // Visa
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 36 || p2 === 38 || p2 === 39 || (p3 >= 300 && p3 <= 305)) return n >= 14; // Diners
  if (p4 >= 3528 && p4 <= 3589) return n >= 16; // JCB
  if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65 || (p6 >= 622126 && p6 <= 622925)) {
    return n >= 16; // Discover
  }
  if (p2 === 62) return n >= 16; // UnionPay
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 13; // Maestro
  return false;
}

/** A card number as a plain digit string (also a JSON number's digits). */
export function isCardNumber(digits: string): boolean {
  return (
    digits.length >= MIN_DIGITS &&
    digits.length <= MAX_DIGITS &&
    /^\d+$/.test(digits) &&
    knownIssuer(digits, digits.length) &&
    luhnDigits(digits)
  );
}

interface Group {
  readonly start: number;
  readonly end: number;
}

/** The card in `groups[from..]`: the longest valid run of whole groups starting at `from`. */
function cardAt(text: string, groups: readonly Group[], from: number): number {
  let digits = '';
  let found = -1;
  for (let j = from; j < groups.length; j++) {
    const g = groups[j] as Group;
    const size = g.end - g.start;
    if (size < MIN_GROUP) break;
    digits += text.slice(g.start, g.end);
    if (digits.length > MAX_DIGITS) break;
    if (digits.length >= MIN_DIGITS && knownIssuer(digits, digits.length) && luhnDigits(digits)) found = j;
    // A single group that is already a whole number of 13+ digits is not split or extended.
    if (j === from && size >= MIN_DIGITS) break;
  }
  return found;
}

/** Finds card numbers in `text`, left to right, non-overlapping. */
export function findCards(text: string): Span[] {
  const spans: Span[] = [];
  // Every card has a group of 3+ digits: the native engine skips to the next one (fast on
  // prose), the loop below reads the run of groups from there.
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isDigit(text.charCodeAt(i))) {
      THREE_DIGITS.lastIndex = i;
      const next = THREE_DIGITS.exec(text);
      if (next === null) break;
      i = next.index;
    }
    // A run of digit groups joined by single spaces or dashes.
    const groups: Group[] = [];
    const runStart = i;
    while (i < n) {
      const start = i;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      groups.push({ start, end: i });
      const sep = text.charCodeAt(i);
      if ((sep === 32 || sep === 45) && isDigit(text.charCodeAt(i + 1))) i++;
      else break;
    }
    const gluedBefore = runStart > 0 && isAlnum(text.charCodeAt(runStart - 1));
    const gluedAfter = i < n && isAlnum(text.charCodeAt(i));
    for (let g = 0; g < groups.length; g++) {
      if (g === 0 && gluedBefore) continue;
      const last = cardAt(text, groups, g);
      if (last < 0 || (last === groups.length - 1 && gluedAfter)) continue;
      spans.push({ start: (groups[g] as Group).start, end: (groups[last] as Group).end });
      g = last;
    }
  }
  return spans;
}
