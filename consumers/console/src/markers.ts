/**
 * Redaction markers as the sanitizer writes them (the contract in @auditflow/schemas,
 * redaction.ts): `[REDACTED:<rule id>:<fingerprint>]`, fingerprint optional. The console shows
 * them as markers (which rule), never as if they were the value.
 */
const MARKER = /\[REDACTED:([a-z0-9-]{1,64})(?::([0-9a-f]{12}))?\]/g;

export type Piece = { text: string } | { rule: string; fingerprint: string | undefined };

/** A string split into plain text and redaction markers, in order. */
export function splitMarkers(text: string): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  for (const m of text.matchAll(MARKER)) {
    if (m.index > at) out.push({ text: text.slice(at, m.index) });
    out.push({ rule: m[1] as string, fingerprint: m[2] });
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push({ text: text.slice(at) });
  return out;
}

/** Every leaf of a document as a dotted path and its value, in document order (the event page). */
export function leaves(value: unknown, prefix = ''): [string, unknown][] {
  if (value === null || typeof value !== 'object') return [[prefix, value]];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return [[prefix, Array.isArray(value) ? '[]' : '{}']];
  return entries.flatMap(([key, v]) => leaves(v, prefix ? `${prefix}.${key}` : key));
}
