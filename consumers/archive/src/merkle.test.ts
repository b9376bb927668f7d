import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_TREE_HASH,
  inclusionPath,
  leafHash,
  nodeHash,
  rootFromInclusionProof,
  rootOfLeafHashes,
} from './merkle.ts';

/** MTH exactly as RFC 9162 2.1.1 writes it (recursive), to check the iterative one against. */
function reference(data: readonly Buffer[]): Buffer {
  if (data.length === 0) return createHash('sha256').digest();
  if (data.length === 1) return leafHash(data[0] as Buffer);
  let k = 1;
  while (k * 2 < data.length) k *= 2;
  return nodeHash(reference(data.slice(0, k)), reference(data.slice(k)));
}

/** The leaves of Certificate Transparency's reference tests (RFC 6962 implementations). */
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((hex) => Buffer.from(hex, 'hex'));

describe('RFC 9162 Merkle tree', () => {
  it('matches the published test vectors', () => {
    expect(EMPTY_TREE_HASH.toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(rootOfLeafHashes([leafHash(CT_LEAVES[0] as Buffer)]).toString('hex')).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    expect(rootOfLeafHashes(CT_LEAVES.map(leafHash)).toString('hex')).toBe(
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    );
  });

  it('computes the same root as the recursive definition for every size up to 70', () => {
    for (let n = 0; n <= 70; n++) {
      const data = Array.from({ length: n }, (_, i) => Buffer.from(`event-${i}`));
      expect(rootOfLeafHashes(data.map(leafHash)).equals(reference(data))).toBe(true);
    }
  });

  it('proves every leaf of trees of many sizes, and nothing else', () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33]) {
      const leaves = Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`event-${i}`)));
      const root = rootOfLeafHashes(leaves);
      for (let m = 0; m < n; m++) {
        const path = inclusionPath(leaves, m);
        expect(rootFromInclusionProof(m, n, leaves[m] as Buffer, path)?.equals(root)).toBe(true);
        // Another leaf or another index does not lead to the root (the size is checked against the
        // signed one by the verifier).
        const other = leafHash(Buffer.from('forged'));
        expect(rootFromInclusionProof(m, n, other, path)?.equals(root) ?? false).toBe(false);
        if (n > 1) {
          const elsewhere = (m + 1) % n;
          expect(rootFromInclusionProof(elsewhere, n, leaves[m] as Buffer, path)?.equals(root) ?? false).toBe(
            false,
          );
        }
      }
    }
  });

  it('refuses indexes outside the tree and paths of the wrong length', () => {
    const leaves = [0, 1, 2, 3, 4].map((i) => leafHash(Buffer.from([i])));
    expect(() => inclusionPath(leaves, 5)).toThrowError(RangeError);
    const path = inclusionPath(leaves, 1);
    expect(rootFromInclusionProof(5, 5, leaves[0] as Buffer, path)).toBeUndefined();
    expect(rootFromInclusionProof(1, 5, leaves[1] as Buffer, [...path, path[0] as Buffer])).toBeUndefined();
    expect(rootFromInclusionProof(1, 5, leaves[1] as Buffer, path.slice(1))).toBeUndefined();
  });
});
