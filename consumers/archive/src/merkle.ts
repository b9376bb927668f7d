import { createHash } from 'node:crypto';

/**
 * Merkle trees as RFC 9162 (Certificate Transparency 2.0) section 2.1 defines them, with SHA-256:
 *   leaf hash  MTH({d0}) = SHA-256(0x00 || d0)
 *   node hash  SHA-256(0x01 || left || right)
 *   MTH(D[n])  splits at k, the largest power of two smaller than n: MTH(D[0:k]) and MTH(D[k:n])
 *   the empty tree's hash is SHA-256 of nothing.
 * Inclusion proofs and their verification follow sections 2.1.3.1 and 2.1.3.2, so any CT
 * library (or the twenty lines in the archive README) checks them.
 */

const sha256 = (...parts: Buffer[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

export const leafHash = (data: Buffer): Buffer => sha256(LEAF, data);
export const nodeHash = (left: Buffer, right: Buffer): Buffer => sha256(NODE, left, right);
export const EMPTY_TREE_HASH: Buffer = sha256();

/** Largest power of two strictly smaller than n (n >= 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over leaf hashes (already hashed with the 0x00 prefix). */
export function rootOfLeafHashes(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return EMPTY_TREE_HASH;
  // Bottom-up, level by level: the same tree as the recursive definition (a lone last node
  // moves up a level unchanged), without recursion depth or copies of the leaf list.
  let level: Buffer[] = [...leaves];
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2)
      next.push(nodeHash(level[i] as Buffer, level[i + 1] as Buffer));
    if (level.length % 2 === 1) next.push(level[level.length - 1] as Buffer);
    level = next;
  }
  return level[0] as Buffer;
}

/** PATH(m, D[n]) of RFC 9162 2.1.3.1 over leaf hashes: the sibling hashes from the leaf up. */
export function inclusionPath(leaves: readonly Buffer[], index: number): Buffer[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length)
    throw new RangeError(`leaf ${index} is not in a tree of ${leaves.length}`);
  const path: Buffer[] = [];
  const walk = (from: number, to: number, m: number): void => {
    const n = to - from;
    if (n === 1) return;
    const k = split(n);
    if (m < k) {
      walk(from, from + k, m);
      path.push(rootOfLeafHashes(leaves.slice(from + k, to)));
    } else {
      walk(from + k, to, m - k);
      path.push(rootOfLeafHashes(leaves.slice(from, from + k)));
    }
  };
  walk(0, leaves.length, index);
  return path;
}

/**
 * The root an inclusion proof leads to (RFC 9162 2.1.3.2), or undefined when the proof is
 * malformed for the tree size (too long, too short). Compare the result with the signed root.
 */
export function rootFromInclusionProof(
  index: number,
  treeSize: number,
  leaf: Buffer,
  path: readonly Buffer[],
): Buffer | undefined {
  if (!Number.isInteger(index) || !Number.isInteger(treeSize) || index < 0 || index >= treeSize)
    return undefined;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}
