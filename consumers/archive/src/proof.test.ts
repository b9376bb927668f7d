import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ArchivedObject, type Digest, digestHash, signDigest, verifyArchive } from './digest.ts';
import { digestKeyOfHead, headKey, truncations } from './heads.ts';
import {
  digestTree,
  eventLines,
  type InclusionProof,
  inclusionProofFor,
  verifyInclusionProof,
} from './proof.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');

const line = (id: string, n: number) => JSON.stringify({ id, action: 'git.push', n });
const body = (ids: string[]) => `${ids.map((id, n) => line(id, n)).join('\n')}\n`;
const object = (key: string, events: number): ArchivedObject => ({
  key,
  sha256: '0'.repeat(64),
  size: 1,
  topic: 'audit.clean.v1',
  partition: 0,
  firstOffset: '0',
  lastOffset: '1',
  events,
});
const digest = (previous: string | null, objects: ArchivedObject[], bodies?: string[]): Digest => ({
  version: 1,
  from: '2026-12-06T00:00:00.000Z',
  to: '2026-12-06T00:01:00.000Z',
  previous,
  objects,
  ...(bodies ? { tree: digestTree(bodies) } : {}),
});

/** A chain of three digests; the first lists two objects (3 + 2 events) and carries a tree. */
function fixture(): InclusionProof {
  const bodies = [body(['e1', 'e2', 'e3']), body(['e4', 'e5'])];
  const first = signDigest(digest(null, [object('a', 3), object('b', 2)], bodies), privateKey);
  const second = signDigest(digest(digestHash(first.digest), [object('c', 1)], [body(['e6'])]), privateKey);
  const third = signDigest(digest(digestHash(second.digest), [object('d', 1)], [body(['e7'])]), privateKey);
  return inclusionProofFor({
    eventId: 'e4',
    digestKey: '_digests/t/0/1.json',
    signed: first,
    objects: bodies.map((b, i) => ({ key: i === 0 ? 'a' : 'b', lines: eventLines(b) })),
    at: { key: 'b', line: 0 },
    chain: [
      { key: '_digests/t/0/2.json', signed: second },
      { key: '_digests/t/0/3.json', signed: third },
    ],
    head: {
      key: '_heads/t/0/3.json',
      digest_key: '_digests/t/0/3.json',
      digest_hash: digestHash(third.digest),
    },
  });
}

describe('inclusion proofs', () => {
  it('a proof verifies offline with the public key alone', () => {
    const proof = fixture();
    expect(proof).toMatchObject({ leaf_index: 3, tree_size: 5, event_id: 'e4' });
    expect(verifyInclusionProof(JSON.parse(JSON.stringify(proof)), publicKey)).toEqual({
      ok: true,
      problems: [],
    });
  });

  it('fails for an altered event, path, index, key, chain or head', () => {
    const proof = fixture();
    const altered = (change: (p: InclusionProof) => unknown) => {
      const copy = JSON.parse(JSON.stringify(proof)) as InclusionProof;
      change(copy);
      return verifyInclusionProof(copy, publicKey);
    };
    const data = line('e4', 0).replace('git.push', 'git.clone');
    expect(altered((p) => Object.assign(p.leaf, { data })).ok).toBe(false);
    // Even with a matching leaf hash, the path no longer leads to the signed root.
    const forged = altered((p) => {
      const copy = fixture();
      Object.assign(p.leaf, { data, hash: copy.leaf.hash });
    });
    expect(forged.problems.join()).toMatch(/leaf hash|signed root/);
    expect(altered((p) => (p.audit_path as string[]).reverse()).ok).toBe(false);
    expect(altered((p) => Object.assign(p, { leaf_index: 2 })).ok).toBe(false);
    expect(altered((p) => Object.assign(p, { event_id: 'e5' })).problems.join()).toMatch(/not e5/);
    expect(altered((p) => (p.chain as unknown[]).splice(0, 1)).problems.join()).toMatch(/does not chain/);
    expect(altered((p) => Object.assign(p, { head: { ...p.head, digest_hash: 'f'.repeat(64) } })).ok).toBe(
      false,
    );
    expect(verifyInclusionProof(proof, other.publicKey).ok).toBe(false);
  });

  it('reports a malformed proof as invalid instead of throwing', () => {
    const broken = { ...fixture(), leaf: undefined, chain: [{ key: 'x' }] } as unknown as InclusionProof;
    expect(verifyInclusionProof(broken, publicKey).ok).toBe(false);
    const noDigest = { ...fixture(), signed_digest: { signature: 'AA==' } } as unknown as InclusionProof;
    expect(verifyInclusionProof(noDigest, publicKey).ok).toBe(false);
    expect(verifyInclusionProof(null as unknown as InclusionProof, publicKey).ok).toBe(false);
  });

  it('a digest without a tree (written before proofs) still verifies as before', () => {
    const old = signDigest(digest(null, [object('a', 3)]), privateKey);
    const report = verifyArchive(
      [[{ key: 'k', signed: old }]],
      new Map([['a', { sha256: '0'.repeat(64), size: 1 }]]),
      publicKey,
    );
    expect(report.ok).toBe(true);
    expect(() =>
      inclusionProofFor({
        eventId: 'e1',
        digestKey: 'k',
        signed: old,
        objects: [{ key: 'a', lines: eventLines(body(['e1'])) }],
        at: { key: 'a', line: 0 },
        chain: [],
        head: null,
      }),
    ).toThrowError(/predates per-event proofs/);
  });
});

describe('published heads', () => {
  const d = (n: number) =>
    `_digests/audit.clean.v1/0/${String(n).padStart(20, '0')}-${String(n + 9).padStart(20, '0')}.json`;

  it('maps digest keys to head keys and back', () => {
    expect(headKey(d(0))).toBe(
      `_heads/audit.clean.v1/0/${String(0).padStart(20, '0')}-${String(9).padStart(20, '0')}.json`,
    );
    expect(digestKeyOfHead(headKey(d(10)))).toBe(d(10));
  });

  it('names a chain that ends before its newest published head, with the missing count and offset', () => {
    const digests = new Map([['audit.clean.v1/0', [d(0), d(10)]]]);
    const heads = new Map([['audit.clean.v1/0', [d(0), d(10), d(20), d(30), d(40)].map(headKey)]]);
    const [line] = truncations(digests, heads);
    expect(line).toMatch(
      /chain audit\.clean\.v1\/0 ends at digest 2 .* the published head is digest 5 .*3 digests missing after offset 19$/,
    );
    expect(truncations(new Map([['audit.clean.v1/0', [d(0), d(10), d(20), d(30), d(40)]]]), heads)).toEqual(
      [],
    );
    expect(truncations(new Map(), heads)[0]).toMatch(/ends at digest 0 \(no digest left\).*digest 5/);
  });
});
