import { fragmentsOf } from './secrets.ts';

/**
 * The corpus checks over any text a reader can see (the JSON form of a sanitized event, the
 * bytes of a clean topic, an index document, an archive object): shared by the unit test and
 * the pipeline tests so both judge the same way.
 */

/** How often `value` occurs in `text` (non-overlapping). */
export function occurrences(text: string, value: string): number {
  let n = 0;
  for (let at = text.indexOf(value); at >= 0; at = text.indexOf(value, at + value.length)) n++;
  return n;
}

/** Every secret, and every 10-character fragment of one, that `text` still holds. */
export function leakedFragments(secrets: readonly string[], text: string): string[] {
  return secrets.flatMap((secret) => fragmentsOf(secret).filter((fragment) => text.includes(fragment)));
}

/** Keep values that occur fewer times in `after` than in `before` (altered or removed). */
export function alteredValues(values: readonly string[], before: string, after: string): string[] {
  return values.filter((value) => occurrences(after, value) < occurrences(before, value));
}

/** Every string of a value (keys too), with JSON held in strings opened up as well. */
export function stringsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    out.push(value);
    const trimmed = value.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        stringsOf(JSON.parse(value), out);
      } catch {
        // not JSON: the string itself is already collected
      }
    }
  } else if (Array.isArray(value)) {
    for (const item of value) stringsOf(item, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      out.push(key);
      stringsOf(inner, out);
    }
  }
  return out;
}

/** What a reader sees of a JSON value: its JSON text and every string in it, unescaped. */
export function readableText(value: unknown): string {
  return [JSON.stringify(value), ...stringsOf(value)].join('\n\u0000\n');
}
