import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';

export const PII_ACTIONS = ['keep', 'mask', 'drop', 'pseudonymise'] as const;
export type PiiAction = (typeof PII_ACTIONS)[number];

const actions = z.enum(PII_ACTIONS);
const scope = z.strictObject({ pii: actions.optional(), fields: z.record(z.string(), actions).default({}) });
export const piiPolicySchema = z.object({
  default: scope.extend({ pii: actions }),
  tenants: z.record(z.string(), scope).default({}),
});
export type PiiPolicy = z.output<typeof piiPolicySchema>;

export const DEFAULT_POLICY_FILE = new URL('../rules/pii-policy.json', import.meta.url);

export function loadPiiPolicy(file: URL | string = DEFAULT_POLICY_FILE): PiiPolicy {
  const parsed = piiPolicySchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid PII policy in ${String(file)}: ${lines.join('; ')}`);
  }
  return parsed.data;
}

/** The action for one pii field of one tenant: tenant field, tenant default, global field, global default. */
export function actionFor(policy: PiiPolicy, tenant: string, path: string): PiiAction {
  const t = policy.tenants[tenant];
  return t?.fields[path] ?? t?.pii ?? policy.default.fields[path] ?? policy.default.pii;
}

const pseudonyms = new Map<string, string>();
let pseudonymKey: Buffer | undefined;
/** The same people act again and again: remembering recent pseudonyms saves an HMAC each. */
const MAX_REMEMBERED = 50_000;

/** Keyed pseudonym: stable per key and value, not reversible without the key. */
export function pseudonymise(key: Buffer, value: string): string {
  if (key !== pseudonymKey) {
    pseudonyms.clear();
    pseudonymKey = key;
  }
  let out = pseudonyms.get(value);
  if (out === undefined) {
    out = `pseu_${createHmac('sha256', key).update(value).digest('hex').slice(0, 32)}`;
    if (pseudonyms.size >= MAX_REMEMBERED) pseudonyms.clear();
    pseudonyms.set(value, out);
  }
  return out;
}

/** Keeps what an analyst needs (network, e-mail domain) and hides the person. */
export function mask(value: string): string {
  if (isIPv4(value)) return value.replace(/\.\d+$/, '.0');
  if (isIPv6(value)) return `${value.split(':').slice(0, 3).join(':')}::`;
  const at = value.lastIndexOf('@');
  if (at > 0) return `${value[0]}***${value.slice(at)}`;
  return value.length <= 2 ? '***' : `${value[0]}***${value.at(-1)}`;
}
