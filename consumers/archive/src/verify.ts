import type { KeyObject } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import {
  checkDeletion,
  checkSignature,
  digestHash,
  type SignedDeletion,
  type SignedDigest,
  type StoredState,
  type VerifyReport,
  verifyArchive,
} from './digest.ts';
import { chainOf, digestKeyOfHead, listHeads, truncations } from './heads.ts';
import {
  DELETIONS_PREFIX,
  DIGEST_PREFIX,
  KEYS_PREFIX,
  keyInRange,
  parseObjectKey,
  tenantSegment,
} from './keys.ts';
import { type ArchiveStore, sha256Of } from './store.ts';

export interface VerifyScope {
  readonly from?: number;
  readonly to?: number;
  readonly tenant?: string;
}

export interface ArchiveVerification extends VerifyReport {
  /** Deletion records whose signature does not hold (their keys are not excused). */
  readonly badDeletions: string[];
  readonly events: number;
}

/** Events (NDJSON lines) in a gzipped data object. */
export const countLines = (gz: Buffer): number => {
  const text = gunzipSync(gz);
  let lines = 0;
  for (const byte of text) if (byte === 10) lines++;
  return lines;
};

/**
 * `auditflow verify` (SPEC A3): reads every digest chain and deletion record, then every data
 * object in scope, and checks signatures, chains, hashes, sizes and event counts.
 */
export async function verifyStore(
  store: ArchiveStore,
  publicKey: KeyObject,
  scope: VerifyScope = {},
): Promise<ArchiveVerification> {
  const from = scope.from ?? Number.NEGATIVE_INFINITY;
  const to = scope.to ?? Number.POSITIVE_INFINITY;
  const segment = scope.tenant === undefined ? undefined : tenantSegment(scope.tenant);
  const inScope = (key: string): boolean => {
    const at = parseObjectKey(key);
    if (!at) return true; // anything unexpected among the data is reported
    return (segment === undefined || at.segment === segment) && keyInRange(at, from, to);
  };

  // Heads first: a head is published only once its digest is stored, so every head listed now
  // has its digest in the listing below, while the archiver goes on writing (a head read after
  // the digests could name a digest written in between, and read as a truncation).
  const heads = await listHeads(store);
  const chains = new Map<string, { key: string; signed: SignedDigest }[]>();
  for (const { key } of await store.list(DIGEST_PREFIX)) {
    if (key.startsWith(KEYS_PREFIX)) continue;
    const chain = key.slice(0, key.lastIndexOf('/'));
    const list = chains.get(chain) ?? [];
    list.push({ key, signed: await store.getJson<SignedDigest>(key) });
    chains.set(chain, list);
  }

  const deleted = new Set<string>();
  const badDeletions: string[] = [];
  for (const { key } of await store.list(DELETIONS_PREFIX)) {
    const record = await store.getJson<SignedDeletion>(key);
    if (!checkDeletion(record, publicKey)) badDeletions.push(key);
    else for (const k of record.deletion.keys) deleted.add(k);
  }

  const stored = new Map<string, StoredState>();
  let events = 0;
  const dataPrefix = segment === undefined ? 'tenant=' : `tenant=${segment}/`;
  for (const { key } of await store.list(dataPrefix)) {
    if (!inScope(key)) continue;
    const body = await store.get(key);
    let count: number | undefined;
    try {
      count = countLines(body);
      events += count;
    } catch {
      count = -1; // not gzip any more: certainly altered
    }
    stored.set(key, { sha256: sha256Of(body), size: body.length, events: count });
  }
  const report = verifyArchive([...chains.values()], stored, publicKey, { deleted, inScope });
  const truncated = await checkHeads(store, chains, heads, publicKey);
  return {
    ...report,
    truncated,
    ok: report.ok && badDeletions.length === 0 && truncated.length === 0,
    badDeletions,
    events,
  };
}

/**
 * Each chain against its published heads (heads.ts): digests deleted from the end of a chain,
 * and a newest head whose digest is there but differs from the one published, are named.
 */
async function checkHeads(
  store: ArchiveStore,
  chains: ReadonlyMap<string, readonly { key: string; signed: SignedDigest }[]>,
  heads: ReadonlyMap<string, readonly string[]>,
  publicKey: KeyObject,
): Promise<string[]> {
  const digestKeys = new Map<string, string[]>();
  const byKey = new Map<string, SignedDigest>();
  for (const list of chains.values()) {
    for (const { key, signed } of list) {
      const chain = chainOf(key);
      digestKeys.set(chain, [...(digestKeys.get(chain) ?? []), key]);
      byKey.set(key, signed);
    }
  }
  for (const keys of digestKeys.values()) keys.sort();
  const found = truncations(digestKeys, heads);
  for (const [chain, keys] of heads) {
    const newest = keys.at(-1) as string;
    const present = byKey.get(digestKeyOfHead(newest));
    if (!present) continue;
    const published = await store.getJson<SignedDigest>(newest);
    if (!checkSignature(published, publicKey))
      found.push(`chain ${chain}: head ${newest} has a bad signature`);
    else if (digestHash(published.digest) !== digestHash(present.digest))
      found.push(
        `chain ${chain}: digest ${digestKeyOfHead(newest)} differs from its published head ${newest}`,
      );
  }
  return found;
}
