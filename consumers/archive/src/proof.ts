import type { KeyObject } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { checkSignature, type DigestTree, digestHash, type SignedDigest, TREE_ALGORITHM } from './digest.ts';
import { chainOf, digestKeyOfHead, HEADS_PREFIX } from './heads.ts';
import { chainPrefix, KEYS_PREFIX, parseObjectKey } from './keys.ts';
import { inclusionPath, leafHash, rootFromInclusionProof, rootOfLeafHashes } from './merkle.ts';
import type { ArchiveStore } from './store.ts';

/**
 * Per-event inclusion proofs (issue 19). The format is documented in the package README
 * ("Inclusion proofs"); `verifyInclusionProof` needs nothing but the proof and the public key.
 */

export const PROOF_FORMAT = 'auditflow-inclusion-proof/1';

export interface InclusionProof {
  readonly format: typeof PROOF_FORMAT;
  readonly event_id: string;
  /** The leaf: the event's archived NDJSON line (without its newline), and SHA-256(0x00 || line). */
  readonly leaf: { readonly data: string; readonly hash: string };
  /** Where the line is (informational: the proof does not depend on it). */
  readonly object: { readonly key: string; readonly line: number };
  readonly leaf_index: number;
  readonly tree_size: number;
  /** RFC 9162 inclusion path, leaf level first, hex. */
  readonly audit_path: readonly string[];
  readonly digest_key: string;
  /** The signed digest whose `tree.root` the path leads to. */
  readonly signed_digest: SignedDigest;
  /** Later digests of the same chain, oldest first: each names the previous one's hash. */
  readonly chain: readonly { readonly key: string; readonly signed: SignedDigest }[];
  /** The chain's newest published head when the proof was made (null when none was published). */
  readonly head: { readonly key: string; readonly digest_key: string; readonly digest_hash: string } | null;
}

/** The leaves of a digest's tree from its objects' NDJSON bodies (digest order), one per line. */
export function eventLines(body: string | Buffer): Buffer[] {
  const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, start)) {
    lines.push(data.subarray(start, i));
    start = i + 1;
  }
  if (start < data.length) lines.push(data.subarray(start));
  return lines;
}

/**
 * The tree a digest carries, over its objects' uncompressed NDJSON bodies in the digest's order.
 * The archiver computes it from the bodies it wrote and puts it in the digest before signing.
 */
export function digestTree(bodies: readonly (string | Buffer)[]): DigestTree {
  const leaves = bodies.flatMap((body) => eventLines(body).map(leafHash));
  return { algorithm: TREE_ALGORITHM, size: leaves.length, root: rootOfLeafHashes(leaves).toString('hex') };
}

export interface ProofCheck {
  readonly ok: boolean;
  readonly problems: string[];
}

/** Checks a proof offline with the public key alone: leaf, path, signed root, chain to the head. */
export function verifyInclusionProof(proof: InclusionProof, publicKey: KeyObject): ProofCheck {
  try {
    return checkProof(proof, publicKey);
  } catch (err) {
    // A proof is untrusted input: a missing or mistyped field is a failed check, not a crash.
    return { ok: false, problems: [`malformed proof: ${(err as Error).message}`] };
  }
}

function checkProof(proof: InclusionProof, publicKey: KeyObject): ProofCheck {
  const problems: string[] = [];
  const fail = (problem: string): ProofCheck => ({ ok: false, problems: [...problems, problem] });
  if (proof?.format !== PROOF_FORMAT) return fail(`not an ${PROOF_FORMAT} proof`);
  const line = Buffer.from(String(proof.leaf?.data ?? ''), 'utf8');
  const leaf = leafHash(line);
  if (leaf.toString('hex') !== proof.leaf.hash) problems.push('the leaf hash is not SHA-256(0x00 || line)');
  let id: unknown;
  try {
    id = (JSON.parse(line.toString('utf8')) as { id?: unknown }).id;
  } catch {
    problems.push('the leaf is not a JSON event');
  }
  if (id !== proof.event_id) problems.push(`the leaf is event ${String(id)}, not ${proof.event_id}`);
  const signed = proof.signed_digest;
  if (!signed?.digest || !checkSignature(signed, publicKey))
    return fail(`the digest ${proof.digest_key} is not signed by this key`);
  const tree = signed.digest.tree;
  if (!tree || tree.algorithm !== TREE_ALGORITHM)
    return fail(`the digest ${proof.digest_key} has no ${TREE_ALGORITHM} tree`);
  if (tree.size !== proof.tree_size)
    problems.push(`the proof is for a tree of ${proof.tree_size}, the digest's has ${tree.size}`);
  const path = (proof.audit_path ?? []).map((h) => Buffer.from(String(h), 'hex'));
  const root = rootFromInclusionProof(proof.leaf_index, tree.size, leaf, path);
  if (!root || root.toString('hex') !== tree.root)
    problems.push(`the path does not lead from leaf ${proof.leaf_index} to the signed root`);
  let previousKey = proof.digest_key;
  let previousHash = digestHash(signed.digest);
  for (const next of proof.chain ?? []) {
    if (!checkSignature(next.signed, publicKey)) {
      problems.push(`the later digest ${next.key} is not signed by this key`);
      break;
    }
    if (next.signed.digest.previous !== previousHash) {
      problems.push(`the later digest ${next.key} does not chain to ${previousKey}`);
      break;
    }
    previousKey = next.key;
    previousHash = digestHash(next.signed.digest);
  }
  if (proof.head && (proof.head.digest_key !== previousKey || proof.head.digest_hash !== previousHash))
    problems.push(`the chain ends at ${previousKey}, not at the published head ${proof.head.digest_key}`);
  return { ok: problems.length === 0, problems };
}

/** Milliseconds a UUIDv7 carries (its first 48 bits), or undefined for another kind of id. */
function uuidv7Time(id: string): number | undefined {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-/i.exec(id);
  return m ? Number.parseInt(`${m[1]}${m[2]}`, 16) : undefined;
}

const gunzipLines = async (store: ArchiveStore, key: string): Promise<Buffer[]> =>
  eventLines(gunzipSync(await store.get(key)));

export class EventNotArchivedError extends Error {
  override readonly name = 'EventNotArchivedError';
}

/**
 * Builds the inclusion proof of one archived event: finds the object holding it (hours near the
 * time in its UUIDv7 id first, then the rest), the digest listing the object, that digest's tree,
 * the later digests of the chain and the newest published head.
 */
export async function proveEvent(store: ArchiveStore, eventId: string): Promise<InclusionProof> {
  const needle = Buffer.from(`"id":${JSON.stringify(eventId)}`);
  const at = uuidv7Time(eventId);
  const candidates = (await store.list('tenant='))
    .map(({ key }) => ({ key, location: parseObjectKey(key) }))
    .filter((c) => c.location !== undefined)
    .sort((a, b) =>
      at === undefined ? 0 : Math.abs((a.location?.hour ?? 0) - at) - Math.abs((b.location?.hour ?? 0) - at),
    );
  let found: { key: string; line: number } | undefined;
  for (const { key } of candidates) {
    const lines = await gunzipLines(store, key);
    const line = lines.findIndex(
      (l) => l.includes(needle) && (JSON.parse(l.toString('utf8')) as { id?: string }).id === eventId,
    );
    if (line >= 0) {
      found = { key, line };
      break;
    }
  }
  if (!found) throw new EventNotArchivedError(`event ${eventId} is in no archived object`);
  const location = parseObjectKey(found.key);
  if (!location) throw new EventNotArchivedError(`${found.key} is not a data object key`);
  const prefix = chainPrefix(location.topic, location.partition);
  const digestKeys = (await store.list(prefix))
    .map((o) => o.key)
    .filter((k) => !k.startsWith(KEYS_PREFIX))
    .sort();
  const chain: { key: string; signed: SignedDigest }[] = [];
  for (const key of digestKeys) chain.push({ key, signed: await store.getJson<SignedDigest>(key) });
  const at_ = chain.findIndex((d) => d.signed.digest.objects.some((o) => o.key === found.key));
  const listed = chain[at_];
  if (!listed)
    throw new EventNotArchivedError(`no digest lists ${found.key} yet (its roll may still be open)`);
  const objects: { key: string; lines: Buffer[] }[] = [];
  for (const object of listed.signed.digest.objects)
    objects.push({ key: object.key, lines: await gunzipLines(store, object.key) });
  const heads = (await store.list(`${HEADS_PREFIX}${chainOf(listed.key)}/`)).map((o) => o.key).sort();
  const newestHead = heads.at(-1);
  let head: InclusionProof['head'] = null;
  if (newestHead) {
    const published = await store.getJson<SignedDigest>(newestHead);
    head = {
      key: newestHead,
      digest_key: digestKeyOfHead(newestHead),
      digest_hash: digestHash(published.digest),
    };
  }
  return inclusionProofFor({
    eventId,
    digestKey: listed.key,
    signed: listed.signed,
    objects,
    at: found,
    chain: chain.slice(at_ + 1),
    head,
  });
}

/**
 * The proof for line `at.line` of object `at.key`, from the digest's objects' lines (digest
 * order); refuses when they no longer match the digest's signed tree.
 */
export function inclusionProofFor(input: {
  eventId: string;
  digestKey: string;
  signed: SignedDigest;
  objects: readonly { key: string; lines: readonly Buffer[] }[];
  at: { key: string; line: number };
  chain: InclusionProof['chain'];
  head: InclusionProof['head'];
}): InclusionProof {
  const tree = input.signed.digest.tree;
  if (!tree)
    throw new EventNotArchivedError(
      `digest ${input.digestKey} predates per-event proofs (it has no Merkle tree)`,
    );
  const leaves: Buffer[] = [];
  let index = -1;
  let data = '';
  for (const object of input.objects) {
    if (object.key === input.at.key) {
      index = leaves.length + input.at.line;
      data = (object.lines[input.at.line] ?? Buffer.alloc(0)).toString('utf8');
    }
    for (const line of object.lines) leaves.push(leafHash(line));
  }
  if (index < 0) throw new EventNotArchivedError(`digest ${input.digestKey} does not list ${input.at.key}`);
  if (leaves.length !== tree.size || rootOfLeafHashes(leaves).toString('hex') !== tree.root)
    throw new EventNotArchivedError(
      `the objects of ${input.digestKey} no longer match its signed tree: run verify`,
    );
  return {
    format: PROOF_FORMAT,
    event_id: input.eventId,
    leaf: { data, hash: (leaves[index] as Buffer).toString('hex') },
    object: { key: input.at.key, line: input.at.line },
    leaf_index: index,
    tree_size: tree.size,
    audit_path: inclusionPath(leaves, index).map((h) => h.toString('hex')),
    digest_key: input.digestKey,
    signed_digest: input.signed,
    chain: input.chain,
    head: input.head,
  };
}
