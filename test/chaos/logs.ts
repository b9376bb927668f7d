import { readFileSync } from 'node:fs';

/** pino's level numbers. */
const WARN = 40;
const LEVEL_NAME: Readonly<Record<number, string>> = { 40: 'warn', 50: 'error', 60: 'fatal' };

export interface LogDigest {
  /** `level: message` → how often, most frequent first. */
  readonly messages: [string, number][];
  /** Lines in the whole log that are not pino JSON (stack traces, crashes before the logger existed). */
  readonly unstructured: number;
}

/**
 * What an operator reading a service's log saw between `from` and `to`: warnings and worse,
 * grouped by message. Unstructured lines are counted, never shown (they could hold anything).
 */
export function digestLog(text: string, from: number, to: number, top = 3): LogDigest {
  const counts = new Map<string, number>();
  let unstructured = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) {
      // The launcher's own marker lines and blank lines are not the service talking.
      if (line.trim() !== '' && !line.startsWith('---')) unstructured++;
      continue;
    }
    let entry: { level?: number; time?: number; msg?: string; kafkajs?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      unstructured++;
      continue;
    }
    if ((entry.level ?? 0) < WARN || entry.time === undefined || entry.time < from || entry.time > to)
      continue;
    // kafkajs' own lines all say "kafkajs"; what they report is in their own field.
    const text = entry.kafkajs ? `${entry.msg}: ${entry.kafkajs}` : (entry.msg ?? '(no message)');
    const key = `${LEVEL_NAME[entry.level as number] ?? entry.level}: ${text}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { messages: [...counts].sort((a, b) => b[1] - a[1]).slice(0, top), unstructured };
}

export function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
