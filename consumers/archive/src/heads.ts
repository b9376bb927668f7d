import type { AuditEventInput } from '@auditflow/schemas';
import type { ObjectLockMode } from '@aws-sdk/client-s3';
import { digestHash, type SignedDigest } from './digest.ts';
import { DIGEST_PREFIX, KEYS_PREFIX } from './keys.ts';
import type { ArchiveStore } from './store.ts';

/**
 * Anchored heads (issue 19): a digest chain alone proves the archive only up to its newest
 * digest; delete the newest digests with the objects they list and what is left still chains.
 * So each signed digest is also published where deleting archive data cannot reach it:
 *   _heads/<topic>/<partition>/<first>-<last>.json   a copy of the signed digest, COMPLIANCE-locked
 * (no identity, root included, can delete it before its retention ends; the sweeper's policy does
 * not cover the prefix at all) and as an `audit.archive.digest` event through the pipeline, so
 * it is indexed and streamed to SIEM subscribers. `verify` compares each chain with its newest
 * published head and names a truncation.
 */

export const HEADS_PREFIX = '_heads/';
export const HEAD_EVENT_ACTION = 'audit.archive.digest';

/** The head key of a digest key (`_digests/<chain>/<range>.json` -> `_heads/<chain>/<range>.json`). */
export function headKey(digestKey: string): string {
  if (!digestKey.startsWith(DIGEST_PREFIX) || digestKey.startsWith(KEYS_PREFIX))
    throw new Error(`${digestKey} is not a digest key`);
  return HEADS_PREFIX + digestKey.slice(DIGEST_PREFIX.length);
}

/** The digest key a head names. */
export const digestKeyOfHead = (key: string): string => DIGEST_PREFIX + key.slice(HEADS_PREFIX.length);

/** The chain (`<topic>/<partition>`) of a digest or head key. */
export function chainOf(key: string): string {
  const rest = key.startsWith(HEADS_PREFIX)
    ? key.slice(HEADS_PREFIX.length)
    : key.slice(DIGEST_PREFIX.length);
  return rest.slice(0, rest.lastIndexOf('/'));
}

/**
 * Publishes the head for a signed digest just stored at `digestKey`: create-only (a retry finds
 * it there), locked in COMPLIANCE mode until `retainUntil` where the bucket has Object Lock.
 * The archiver calls this right after the digest is stored, before it commits the roll's offset,
 * so a crash in between publishes it again on the retry.
 */
export async function publishHead(
  store: ArchiveStore,
  digestKey: string,
  signed: SignedDigest,
  options: { retainUntil: number; locked: boolean },
): Promise<{ key: string; created: boolean }> {
  const key = headKey(digestKey);
  const stored = await store.putOnce(key, Buffer.from(`${JSON.stringify(signed)}\n`), {
    contentType: 'application/json',
    retainUntil: options.retainUntil,
    lockMode: options.locked ? 'COMPLIANCE' : undefined,
    metadata: { 'digest-hash': digestHash(signed.digest) },
  });
  return { key, created: stored.created };
}

/**
 * Stores a roll's signed digest create-only, then publishes its head, and answers the hash the
 * chain continues from. When an earlier attempt already stored a digest under `key` (a crash
 * after the put), that stored digest stands: its head is published (again: create-only) and its
 * hash returned, so a retry neither forks the chain nor leaves it without a head.
 */
export async function storeDigest(
  store: ArchiveStore,
  key: string,
  signed: SignedDigest,
  options: { retainUntil: number; lockMode?: ObjectLockMode },
): Promise<{ hash: string; created: boolean; stored: SignedDigest }> {
  const put = await store.putOnce(key, Buffer.from(`${JSON.stringify(signed)}\n`), {
    contentType: 'application/json',
    retainUntil: options.retainUntil,
    lockMode: options.lockMode,
  });
  const stored = put.created ? signed : await store.getJson<SignedDigest>(key);
  await publishHead(store, key, stored, {
    retainUntil: options.retainUntil,
    locked: options.lockMode !== undefined,
  });
  return { hash: digestHash(stored.digest), created: put.created, stored };
}

/**
 * The `audit.archive.digest` event for a published head (the pipeline's own tenant; emit it with
 * `{ pipeline: true }`): whoever reads the index or a stream has the chain's head too.
 */
export function headEvent(
  digestKey: string,
  signed: SignedDigest,
  options: { tenant: string; bucket: string; instance?: string },
): AuditEventInput {
  const { digest } = signed;
  return {
    action: HEAD_EVENT_ACTION,
    category: 'security_tool',
    actor: { type: 'system', id: 'auditflow-archiver' },
    target: { type: 'archive_digest', id: digestKey, name: options.bucket },
    outcome: 'success',
    tenant_id: options.tenant,
    service: { name: 'auditflow-archiver', instance: options.instance ?? null },
    details: {
      digest_key: digestKey,
      digest_hash: digestHash(digest),
      previous: digest.previous,
      key_id: signed.keyId,
      signature: signed.signature,
      from: digest.from,
      to: digest.to,
      objects: digest.objects.length,
      events: digest.objects.reduce((n, o) => n + o.events, 0),
      tree_root: digest.tree?.root ?? null,
      tree_size: digest.tree?.size ?? null,
    },
  };
}

/** Head keys per chain, oldest first (keys sort in offset order). */
export async function listHeads(store: ArchiveStore): Promise<Map<string, string[]>> {
  const chains = new Map<string, string[]>();
  for (const { key } of await store.list(HEADS_PREFIX)) {
    const chain = chainOf(key);
    chains.set(chain, [...(chains.get(chain) ?? []), key]);
  }
  for (const keys of chains.values()) keys.sort();
  return chains;
}

/**
 * Truncations: for each chain with published heads, whether its digests reach the newest head.
 * `digests` maps chain -> digest keys present, oldest first. One line per truncated chain, e.g.
 * "chain audit.clean.v1/0 ends at digest 4 (_digests/.../...json), the published head is digest 7
 * (_heads/.../...json): 3 digests missing after offset 120".
 */
export function truncations(
  digests: ReadonlyMap<string, readonly string[]>,
  heads: ReadonlyMap<string, readonly string[]>,
): string[] {
  const found: string[] = [];
  for (const [chain, headKeys] of heads) {
    const present = digests.get(chain) ?? [];
    const last = present.at(-1);
    const newestHead = headKeys.at(-1) as string;
    const presentSet = new Set(present);
    // Heads whose digest is gone past the chain's end: the digests deleted from the end.
    const beyond = headKeys.filter((h) => last === undefined || digestKeyOfHead(h) > last);
    const missing = beyond.filter((h) => !presentSet.has(digestKeyOfHead(h)));
    if (missing.length === 0) continue;
    const n = present.length;
    const afterOffset = last
      ? ` after offset ${last.slice(last.lastIndexOf('-') + 1, -'.json'.length).replace(/^0+(?=\d)/, '')}`
      : '';
    found.push(
      `chain ${chain} ends at digest ${n}${last ? ` (${last})` : ' (no digest left)'}, the published head is digest ${n + missing.length} (${newestHead}): ${missing.length} digest${missing.length === 1 ? '' : 's'} missing${afterOffset}`,
    );
  }
  return found;
}
