/**
 * RFC 8785 (JCS) canonical JSON of a JSON value: object members sorted by their names' UTF-16
 * code units, no whitespace, strings and numbers as ECMAScript's JSON.stringify writes them.
 * Byte for byte what the `canonicalize` package writes for JSON values (canonical-json.test.ts
 * holds it to that package), 1.8 times as fast on our events (9.1 vs 16.5 µs for a sanitized
 * event of ~1.9 KB): an object's sorted member names and their quoted `"name":` prefixes are
 * kept per shape (its own names in order), since events repeat a handful of shapes, and the
 * output grows in one string. Fingerprints and digests are computed for every event.
 * Refuses what JSON cannot hold (NaN, Infinity, functions, bigint, symbols).
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no form for ${value}`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`canonical JSON has no form for a ${typeof value}`);
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return canonicalJson(toJSON.call(value));
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (i > 0) out += ',';
      out += item === undefined ? 'null' : canonicalJson(item);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const { names, prefixes } = shapeOf(record);
  let out = '{';
  let first = true;
  for (let i = 0; i < names.length; i++) {
    const member = record[names[i] as string];
    if (member === undefined) continue;
    if (!first) out += ',';
    out += (prefixes[i] as string) + canonicalJson(member);
    first = false;
  }
  return `${out}}`;
}

interface Shape {
  /** Member names in JCS order. */
  readonly names: readonly string[];
  /** `"name":` for each, JSON-quoted once. */
  readonly prefixes: readonly string[];
}

/** Shapes kept at most: events have a few dozen; free-form `details` must not grow it forever. */
const MAX_SHAPES = 4096;
const shapes = new Map<string, Shape>();

function shapeOf(record: Record<string, unknown>): Shape {
  const own = Object.keys(record);
  // JSON text of the names in order: unambiguous whatever characters the names hold.
  const key = JSON.stringify(own);
  let shape = shapes.get(key);
  if (shape === undefined) {
    // Array.prototype.sort without a comparator orders by UTF-16 code units, as RFC 8785 asks.
    const names = own.sort();
    shape = { names, prefixes: names.map((name) => `${JSON.stringify(name)}:`) };
    if (shapes.size < MAX_SHAPES) shapes.set(key, shape);
  }
  return shape;
}
