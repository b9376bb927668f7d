import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from '@auditflow/schemas';
import { parseObjectKey } from './keys.ts';

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

/**
 * An RFC 9162 Merkle tree over the digest's events (see merkle.ts and the README): one leaf per
 * NDJSON line of each listed object, objects in the digest's order, lines in the object's order;
 * the leaf data is the line's bytes without its newline. Lets one event be proven (`prove`)
 * without the rest of the archive.
 */
export interface DigestTree {
  readonly algorithm: typeof TREE_ALGORITHM;
  /** Leaves (events) in the tree. */
  readonly size: number;
  /** Root hash, lower-case hex. */
  readonly root: string;
}

export const TREE_ALGORITHM = 'rfc9162-sha256';

export interface Digest {
  readonly version: 1;
  readonly from: string;
  readonly to: string;
  /** SHA-256 of the previous digest's canonical JSON; null for the first. */
  readonly previous: string | null;
  readonly objects: readonly ArchivedObject[];
  /**
   * Added later, optional: digests written before it have none and verify as before (the
   * signature covers whatever fields the digest has).
   */
  readonly tree?: DigestTree;
}

export interface SignedDigest {
  readonly digest: Digest;
  /** Base64 Ed25519 signature over the canonical JSON of `digest`. */
  readonly signature: string;
  readonly keyId: string;
}

export const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export function digestHash(digest: Digest): string {
  return sha256Hex(canonicalJson(digest));
}

/** A short, stable name for a public key, written beside each signature. */
export function keyId(publicKey: KeyObject): string {
  return sha256Hex(publicKey.export({ type: 'spki', format: 'der' })).slice(0, 16);
}

export function signDigest(digest: Digest, privateKey: KeyObject): SignedDigest {
  const signature = sign(null, Buffer.from(canonicalJson(digest)), privateKey).toString('base64');
  return { digest, signature, keyId: keyId(createPublicKey(privateKey)) };
}

export function checkSignature(signed: SignedDigest, publicKey: KeyObject): boolean {
  return verify(
    null,
    Buffer.from(canonicalJson(signed.digest)),
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
  /**
   * Objects in no digest that lie past the end of their partition's chain: a roll being written
   * while verify read (its digest comes last). Not a problem; listed so a later verify can tell.
   */
  readonly inFlight: string[];
  /** Chains that end before their newest published head (digests deleted from the end), described. */
  readonly truncated: string[];
}

export interface StoredState {
  readonly sha256: string;
  readonly size: number;
  /** Lines counted in the object, when it was read. */
  readonly events?: number;
}

export interface VerifyOptions {
  /** Keys removed by the retention sweeper, as its signed deletion records say. */
  readonly deleted?: ReadonlySet<string>;
  /** Only objects for which this holds are checked (a tenant or time range); all by default. */
  readonly inScope?: (key: string) => boolean;
}

/**
 * Checks digest chains (each oldest first) against what the store holds: every signature, each
 * chain link, and each listed object's hash, size and event count. Objects in the store that no
 * digest lists are `extra`; listed objects that are gone, and not swept, are `missing`.
 * `stored` maps key -> the object as it is now (only in-scope keys need be there).
 */
export function verifyArchive(
  chains: readonly (readonly { key: string; signed: SignedDigest }[])[],
  stored: ReadonlyMap<string, StoredState>,
  publicKey: KeyObject,
  options: VerifyOptions = {},
): VerifyReport {
  const inScope = options.inScope ?? (() => true);
  const report = {
    badSignatures: [] as string[],
    brokenChain: [] as string[],
    missing: [] as string[],
    altered: [] as string[],
    extra: [] as string[],
    truncated: [] as string[],
  };
  const listed = new Set<string>();
  /** Per topic/partition: the last offset the chain's digests cover. */
  const chainEnds = new Map<string, bigint>();
  let digests = 0;
  for (const chain of chains) {
    let previous: string | null = null;
    for (const { key, signed } of chain) {
      digests++;
      if (!checkSignature(signed, publicKey)) report.badSignatures.push(key);
      if (signed.digest.previous !== previous) report.brokenChain.push(key);
      previous = digestHash(signed.digest);
      for (const object of signed.digest.objects) {
        listed.add(object.key);
        const chainKey = `${object.topic}/${object.partition}`;
        const end = BigInt(object.lastOffset);
        if (end > (chainEnds.get(chainKey) ?? -1n)) chainEnds.set(chainKey, end);
        if (!inScope(object.key)) continue;
        const now = stored.get(object.key);
        if (!now) {
          if (!options.deleted?.has(object.key)) report.missing.push(object.key);
        } else if (
          now.sha256 !== object.sha256 ||
          now.size !== object.size ||
          (now.events !== undefined && now.events !== object.events)
        ) {
          report.altered.push(object.key);
        }
      }
    }
  }
  const inFlight: string[] = [];
  for (const key of stored.keys()) {
    if (listed.has(key) || !inScope(key)) continue;
    const at = parseObjectKey(key);
    const end = at ? chainEnds.get(`${at.topic}/${at.partition}`) : undefined;
    if (at && BigInt(at.firstOffset) > (end ?? -1n)) inFlight.push(key);
    else report.extra.push(key);
  }
  const problems = Object.values(report).reduce((n, list) => n + list.length, 0);
  return { ok: problems === 0, digests, objects: listed.size, ...report, inFlight };
}

/** A record of objects the retention sweeper deleted, signed like a digest so `verify` can trust it. */
export interface DeletionRecord {
  readonly version: 1;
  readonly deleted_at: string;
  readonly keys: readonly string[];
  readonly reason: string;
}

export interface SignedDeletion {
  readonly deletion: DeletionRecord;
  readonly signature: string;
  readonly keyId: string;
}

export function signDeletion(deletion: DeletionRecord, privateKey: KeyObject): SignedDeletion {
  const signature = sign(null, Buffer.from(canonicalJson(deletion)), privateKey).toString('base64');
  return { deletion, signature, keyId: keyId(createPublicKey(privateKey)) };
}

export function checkDeletion(signed: SignedDeletion, publicKey: KeyObject): boolean {
  return verify(
    null,
    Buffer.from(canonicalJson(signed.deletion)),
    publicKey,
    Buffer.from(signed.signature, 'base64'),
  );
}
