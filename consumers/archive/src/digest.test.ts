import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type ArchivedObject,
  type Digest,
  digestHash,
  type StoredState,
  sha256Hex,
  signDigest,
  verifyArchive,
} from './digest.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const object = (key: string, body: string, first: number): ArchivedObject => ({
  key,
  sha256: sha256Hex(body),
  size: Buffer.byteLength(body),
  topic: 'audit.clean.v1',
  partition: 0,
  firstOffset: String(first),
  lastOffset: String(first + 9),
  events: 10,
});

function archive() {
  const bodies = new Map([
    ['tenant=acme/date=2026-11-24/hour=10/a.ndjson.gz', 'body-a'],
    ['tenant=acme/date=2026-11-24/hour=10/b.ndjson.gz', 'body-b'],
    ['tenant=acme/date=2026-11-24/hour=11/c.ndjson.gz', 'body-c'],
  ]);
  const keys = [...bodies.keys()];
  const first: Digest = {
    version: 1,
    from: '2026-11-24T10:00:00Z',
    to: '2026-11-24T11:00:00Z',
    previous: null,
    objects: [object(keys[0] as string, 'body-a', 0), object(keys[1] as string, 'body-b', 10)],
  };
  const second: Digest = {
    version: 1,
    from: '2026-11-24T11:00:00Z',
    to: '2026-11-24T12:00:00Z',
    previous: digestHash(first),
    objects: [object(keys[2] as string, 'body-c', 20)],
  };
  const digests = [
    { key: 'digests/2026-11-24T10.json', signed: signDigest(first, privateKey) },
    { key: 'digests/2026-11-24T11.json', signed: signDigest(second, privateKey) },
  ];
  const stored = new Map<string, StoredState>(
    [...bodies].map(([k, body]) => [k, { sha256: sha256Hex(body), size: Buffer.byteLength(body) }]),
  );
  return { digests, stored, keys };
}

describe('verifyArchive', () => {
  it('passes an untouched archive', () => {
    const { digests, stored } = archive();
    expect(verifyArchive([digests], stored, publicKey)).toMatchObject({ ok: true, digests: 2, objects: 3 });
  });

  it('names an altered, a deleted and an extra object', () => {
    const { digests, stored, keys } = archive();
    stored.set(keys[0] as string, { sha256: sha256Hex('tampered'), size: 8 });
    stored.delete(keys[2] as string);
    stored.set('tenant=acme/date=2026-11-24/hour=12/planted.ndjson.gz', { sha256: sha256Hex('x'), size: 1 });
    expect(verifyArchive([digests], stored, publicKey)).toMatchObject({
      ok: false,
      altered: [keys[0]],
      missing: [keys[2]],
      extra: ['tenant=acme/date=2026-11-24/hour=12/planted.ndjson.gz'],
    });
  });

  it("counts an object past its chain's newest digest as in flight, one inside the chain as extra", () => {
    const { digests, stored } = archive();
    // The chain of audit.clean.v1 partition 0 covers offsets 0-29.
    const past =
      'tenant=acme/date=2026-11-24/hour=12/audit.clean.v1+0+00000000000000000030-00000000000000000031.ndjson.gz';
    const inside =
      'tenant=acme/date=2026-11-24/hour=12/audit.clean.v1+0+00000000000000000012-00000000000000000013.ndjson.gz';
    const otherPartition =
      'tenant=acme/date=2026-11-24/hour=12/audit.clean.v1+3+00000000000000000000-00000000000000000001.ndjson.gz';
    for (const key of [past, inside, otherPartition]) stored.set(key, { sha256: sha256Hex('x'), size: 1 });
    expect(verifyArchive([digests], stored, publicKey)).toMatchObject({
      ok: false,
      extra: [inside],
      inFlight: [past, otherPartition],
    });
  });

  it('catches a broken chain and a digest edited after signing', () => {
    const { digests, stored } = archive();
    const [first, second] = digests as [(typeof digests)[number], (typeof digests)[number]];
    // Dropping the first digest breaks the chain of the second.
    expect(verifyArchive([[second]], stored, publicKey).brokenChain).toEqual([second.key]);
    // Editing a listed hash without re-signing breaks the signature.
    const edited = {
      ...first,
      signed: {
        ...first.signed,
        digest: { ...first.signed.digest, objects: first.signed.digest.objects.slice(1) },
      },
    };
    expect(verifyArchive([[edited, second]], stored, publicKey).badSignatures).toEqual([first.key]);
  });

  it('accepts swept objects, checks event counts and only the objects in scope', () => {
    const { digests, stored, keys } = archive();
    stored.delete(keys[0] as string);
    stored.set(keys[1] as string, {
      ...(stored.get(keys[1] as string) as { sha256: string; size: number }),
      events: 9,
    });
    stored.set('tenant=other/date=2026-11-24/hour=10/x.ndjson.gz', { sha256: sha256Hex('x'), size: 1 });
    const report = verifyArchive([digests], stored, publicKey, {
      deleted: new Set([keys[0] as string]),
      inScope: (key) => key.startsWith('tenant=acme/'),
    });
    expect(report).toMatchObject({ ok: false, missing: [], altered: [keys[1]], extra: [] });
  });

  it('checks each chain from its own start', () => {
    const { digests, stored } = archive();
    expect(verifyArchive([digests, digests.slice(0, 1)], stored, publicKey)).toMatchObject({
      ok: true,
      digests: 3,
    });
  });

  it('refuses signatures from another key', () => {
    const { digests, stored } = archive();
    const other = generateKeyPairSync('ed25519').publicKey;
    expect(verifyArchive([digests], stored, other).badSignatures).toHaveLength(2);
  });
});
