import { readFileSync } from 'node:fs';
import { ConfigError } from '@auditflow/kafka';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

export { ConfigError };

export function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Reads a JSON or YAML file (by extension; YAML is a superset, so anything else tries YAML). */
export function readConfigFile<T>(path: string, schema: z.ZodType<T>, setting: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${setting}=${path} cannot be read: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${setting}=${path} is not valid JSON/YAML: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new ConfigError(`${setting}=${path}: ${issuesText(parsed.error)}`);
  return parsed.data;
}
