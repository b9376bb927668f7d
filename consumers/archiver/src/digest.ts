import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import canonicalizeModule from 'canonicalize';

// canonicalize is CommonJS (module.exports = fn) but its .d.ts declares an ES default export.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string;

/**
 * Tamper evidence for the archive (SPEC A3): a digest lists every object written in a period with
 * its SHA-256, size, offsets and event count, names the previous digest's hash (a chain), and is
 * signed with Ed25519 over its RFC 8785 canonical JSON, so anyone with the public key can check it.
 */

export interface ArchivedObject {
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: string;
  readonly lastOffset: string;
  readonly events: number;
}

export interface Digest {
  readonly version: 1;
  readonly from: string;
  readonly to: string;
  /** SHA-256 of the previous digest's canonical JSON; null for the first. */
  readonly previous: string | null;
  readonly objects: readonly ArchivedObject[];
}

export interface SignedDigest {
  readonly digest: Digest;
  /** Base64 Ed25519 signature over the canonical JSON of `digest`. */
  readonly signature: string;
  readonly keyId: string;
}

export const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export function digestHash(digest: Digest): string {
  return sha256Hex(canonicalize(digest));
}

/** A short, stable name for a public key, written beside each signature. */
export function keyId(publicKey: KeyObject): string {
  return sha256Hex(publicKey.export({ type: 'spki', format: 'der' })).slice(0, 16);
}

export function signDigest(digest: Digest, privateKey: KeyObject): SignedDigest {
  const signature = sign(null, Buffer.from(canonicalize(digest)), privateKey).toString('base64');
  return { digest, signature, keyId: keyId(createPublicKey(privateKey)) };
}

export function checkSignature(signed: SignedDigest, publicKey: KeyObject): boolean {
  return verify(
    null,
    Buffer.from(canonicalize(signed.digest)),
    publicKey,
    Buffer.from(signed.signature, 'base64'),
  );
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly digests: number;
  readonly objects: number;
  readonly badSignatures: string[];
  readonly brokenChain: string[];
  readonly missing: string[];
  readonly altered: string[];
  readonly extra: string[];
}

/**
 * Checks digests (oldest first) against what the store holds: every signature, the chain, and
 * each listed object's hash and size. Objects in the store that no digest lists are `extra`.
 * `stored` maps key -> recomputed {sha256, size} of the object as it is now.
 */
export function verifyArchive(
  digests: readonly { key: string; signed: SignedDigest }[],
  stored: ReadonlyMap<string, { sha256: string; size: number }>,
  publicKey: KeyObject,
): VerifyReport {
  const report = {
    badSignatures: [] as string[],
    brokenChain: [] as string[],
    missing: [] as string[],
    altered: [] as string[],
    extra: [] as string[],
  };
  const listed = new Set<string>();
  let previous: string | null = null;
  for (const { key, signed } of digests) {
    if (!checkSignature(signed, publicKey)) report.badSignatures.push(key);
    if (signed.digest.previous !== previous) report.brokenChain.push(key);
    previous = digestHash(signed.digest);
    for (const object of signed.digest.objects) {
      listed.add(object.key);
      const now = stored.get(object.key);
      if (!now) report.missing.push(object.key);
      else if (now.sha256 !== object.sha256 || now.size !== object.size) report.altered.push(object.key);
    }
  }
  for (const key of stored.keys()) if (!listed.has(key)) report.extra.push(key);
  const problems = Object.values(report).reduce((n, list) => n + list.length, 0);
  return { ok: problems === 0, digests: digests.length, objects: listed.size, ...report };
}
