import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * The redaction marker is part of the event contract: the sanitizer writes it in place of a
 * secret, and the indexer, the query API and `auditflow search --secret-value` read it back.
 * `[REDACTED:<rule id>:<fingerprint>]`, where the fingerprint is a keyed HMAC of the secret
 * (never the secret itself), so "was this leaked token ever seen?" can be answered without
 * storing the token. Markers written before fingerprints existed have no fingerprint part.
 */

/** The key of the secret fingerprints: hex, at least 32 bytes (or a file holding it). */
export const REDACTION_KEY_ENV = 'AUDITFLOW_REDACTION_KEY';
export const REDACTION_KEY_FILE_ENV = 'AUDITFLOW_REDACTION_KEY_FILE';

/**
 * A hex key of at least 32 bytes from `name`, or from the file `fileName` names (Docker and
 * Kubernetes secrets), else `fallback`. One reader for the sanitizer's keys and the CLI; the
 * error says what the key is for and how to make one, never the value.
 */
export function hexKeyFromEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  fileName: string,
  use: string,
  fallback?: string,
): Buffer {
  const file = env[fileName];
  const text = env[name] ?? (file ? readFileSync(file, 'utf8').trim() : fallback);
  if (!text || !/^[0-9a-f]{64,}$/i.test(text)) {
    throw new Error(
      `${name} (or ${fileName}) must hold at least 32 bytes as hex (${use}): generate one with \`openssl rand -hex 32\``,
    );
  }
  return Buffer.from(text, 'hex');
}

/** 12 hex digits (48 bits): short in the text, few accidental matches across many secrets. */
export const FINGERPRINT_HEX_LENGTH = 12;

/** Domain separation, so the key's HMACs cannot be confused with any other use of it. */
const DOMAIN = 'auditflow-secret-fingerprint-v1\u0000';

/** The keyed fingerprint of one secret value: the exact text that the marker replaces. */
export function secretFingerprint(key: Buffer, secret: string): string {
  return createHmac('sha256', key)
    .update(DOMAIN)
    .update(secret, 'utf8')
    .digest('hex')
    .slice(0, FINGERPRINT_HEX_LENGTH);
}

export const MARKER_PREFIX = '[REDACTED:';

export function redactionMarker(rule: string, fingerprint?: string): string {
  return fingerprint === undefined ? `${MARKER_PREFIX}${rule}]` : `${MARKER_PREFIX}${rule}:${fingerprint}]`;
}

/** Bounded repetitions only: this runs over untrusted text (linear time). */
const MARKER = /\[REDACTED:([a-z0-9-]{1,64})(?::([0-9a-f]{12}))?\]/g;

export interface ParsedMarker {
  readonly rule: string;
  readonly fingerprint: string | undefined;
}

/** Every marker in `text`, in order. */
export function parseMarkers(text: string): ParsedMarker[] {
  if (!text.includes(MARKER_PREFIX)) return [];
  const out: ParsedMarker[] = [];
  for (const m of text.matchAll(MARKER)) out.push({ rule: m[1] as string, fingerprint: m[2] });
  return out;
}

/** The index's keyword field holding every marker fingerprint of a document (indexer writes, query API reads). */
export const SECRET_FINGERPRINTS_FIELD = 'audit.redaction.fingerprints';

/** The distinct fingerprints in `text` (for the indexer's keyword field). */
export function markerFingerprints(text: string): string[] {
  const found = new Set<string>();
  for (const m of parseMarkers(text)) if (m.fingerprint) found.add(m.fingerprint);
  return [...found];
}
