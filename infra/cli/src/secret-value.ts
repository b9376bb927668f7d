import {
  hexKeyFromEnv,
  REDACTION_KEY_ENV,
  REDACTION_KEY_FILE_ENV,
  secretFingerprint,
} from '@auditflow/schemas';

/**
 * `auditflow search --secret-value`: "was this leaked token ever seen, where, by whom?". The
 * value is read from stdin or a file, never the command line (shell history, `ps`), and only
 * its keyed fingerprint leaves this process: the query API matches it against the fingerprints
 * the sanitizer wrote into its redaction markers.
 */

/** The secret as given: one trailing newline (from `echo` or a file) is not part of it. */
export function secretFromInput(input: Buffer | string): string {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const value = text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
  if (value.length === 0)
    throw new Error('no secret value on stdin (pipe it in: `pbpaste | auditflow search --secret-value`)');
  return value;
}

/** Keys the sanitizer used before a rotation: their markers are still in the index and archive. */
export const PREVIOUS_REDACTION_KEYS_ENV = 'AUDITFLOW_REDACTION_KEYS_PREVIOUS';

const HEX_KEY = /^[0-9a-f]{64,}$/i;

/**
 * The redaction key from the environment or its file, then any previous keys (comma-separated
 * hex in AUDITFLOW_REDACTION_KEYS_PREVIOUS); the error says what to set.
 */
export function redactionKeysFromEnv(env: NodeJS.ProcessEnv, fallback?: string): Buffer[] {
  const current = hexKeyFromEnv(
    env,
    REDACTION_KEY_ENV,
    REDACTION_KEY_FILE_ENV,
    "the sanitizer's redaction key, to look a secret up",
    fallback,
  );
  const previous = (env[PREVIOUS_REDACTION_KEYS_ENV] ?? '').split(',').filter((k) => k.trim() !== '');
  for (const [i, key] of previous.entries())
    if (!HEX_KEY.test(key.trim()))
      throw new Error(`${PREVIOUS_REDACTION_KEYS_ENV}: key ${i + 1} is not hex of 32+ bytes`);
  return [current, ...previous.map((k) => Buffer.from(k.trim(), 'hex'))];
}

/** The fingerprints to search for (one per key); the secret itself goes nowhere. */
export function secretValueFingerprints(keys: readonly Buffer[], input: Buffer | string): string[] {
  const secret = secretFromInput(input);
  return [...new Set(keys.map((key) => secretFingerprint(key, secret)))];
}

export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
