import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  type ArchivedObject,
  type ArchiveStore,
  digestHash,
  digestKey,
  digestTree,
  headKey,
  objectKey,
  signDigest,
  storeDigest,
} from '@auditflow/archive';
import { DeleteObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_KEYS, ARCHIVE_SIGNING_KEY_ENV, testArchiveStore } from '../../support/archive.ts';
import { runCli } from '../../support/cli.ts';
import { s3Client } from '../../support/endpoints.ts';

const TOPIC = 'audit.clean.v1';
const HOUR = Date.UTC(2026, 11, 6, 3);
/** Heads are COMPLIANCE-locked for real; this short retention lets the shared bucket forget them. */
const HEAD_RETENTION_MS = 120_000;

const cli = (args: string[], store: ArchiveStore) =>
  runCli(args, {
    ...process.env,
    AUDITFLOW_ARCHIVE_SIGNING_KEY: ARCHIVE_SIGNING_KEY_ENV,
    AUDITFLOW_ARCHIVE_PREFIX: store.prefix,
  });

const eventId = (roll: number, n: number) =>
  `01900000-0000-7000-8000-${String(roll).padStart(4, '0')}${String(n).padStart(8, '0')}`;

/**
 * Writes `rolls` rolls of one partition as the archiver does (objects, then the signed digest
 * with its Merkle tree, chained, then the published head), through the library and real S3.
 */
async function writeChain(store: ArchiveStore, rolls: number): Promise<{ digests: string[]; ids: string[] }> {
  let previous: string | null = null;
  const digests: string[] = [];
  const ids: string[] = [];
  for (let roll = 0; roll < rolls; roll++) {
    const first = roll * 10;
    const lines = Array.from({ length: 3 + roll }, (_, n) => {
      ids.push(eventId(roll, n));
      return JSON.stringify({ id: eventId(roll, n), action: 'git.push', tenant_id: 'acme', n });
    });
    const body = `${lines.join('\n')}\n`;
    const location = {
      tenant: 'acme',
      hour: HOUR,
      topic: TOPIC,
      partition: 0,
      firstOffset: String(first),
      lastOffset: String(first + lines.length - 1),
    };
    const key = objectKey(location);
    const stored = await store.putOnce(key, gzipSync(body), { contentType: 'application/x-ndjson' });
    const object: ArchivedObject = {
      key,
      sha256: stored.sha256,
      size: stored.size,
      topic: TOPIC,
      partition: 0,
      firstOffset: location.firstOffset,
      lastOffset: location.lastOffset,
      events: lines.length,
    };
    const signed = signDigest(
      {
        version: 1,
        from: new Date(HOUR).toISOString(),
        to: new Date(HOUR + 60_000).toISOString(),
        previous,
        objects: [object],
        tree: digestTree([body]),
      },
      ARCHIVE_KEYS.privateKey,
    );
    const dKey = digestKey(TOPIC, 0, location.firstOffset, location.lastOffset);
    // As the archiver stores a digest: create-only, then its head (COMPLIANCE-locked).
    const retainUntil = Date.now() + HEAD_RETENTION_MS;
    const published = await storeDigest(store, dKey, signed, { retainUntil, lockMode: 'GOVERNANCE' });
    // A retry after a crash finds the digest there: the stored one stands, the chain does not fork.
    const forked = signDigest(
      { ...signed.digest, to: new Date(HOUR).toISOString() },
      ARCHIVE_KEYS.privateKey,
    );
    const again = await storeDigest(store, dKey, forked, { retainUntil, lockMode: 'GOVERNANCE' });
    expect(published).toMatchObject({ created: true, hash: digestHash(signed.digest) });
    expect(again).toMatchObject({ created: false, hash: digestHash(signed.digest) });
    previous = published.hash;
    digests.push(dKey);
  }
  return { digests, ids };
}

describe('per-event proofs and published heads (real S3 store)', () => {
  let store: ArchiveStore;
  let written: { digests: string[]; ids: string[] };
  const dir = mkdtempSync(join(tmpdir(), 'proofs-'));
  const publicKeyFile = join(dir, 'archive-public.pem');

  beforeAll(async () => {
    store = testArchiveStore();
    written = await writeChain(store, 6);
    writeFileSync(publicKeyFile, ARCHIVE_KEYS.publicKey.export({ type: 'spki', format: 'pem' }));
  });

  afterAll(async () => {
    // Digests are GOVERNANCE-locked (root may bypass); the heads expire on their own (COMPLIANCE).
    const s3 = s3Client();
    const versions = await s3.send(
      new ListObjectVersionsCommand({ Bucket: store.bucket, Prefix: store.prefix }),
    );
    for (const v of [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])])
      await s3
        .send(
          new DeleteObjectCommand({
            Bucket: store.bucket,
            Key: v.Key,
            VersionId: v.VersionId,
            BypassGovernanceRetention: true,
          }),
        )
        .catch(() => {});
    s3.destroy();
  });

  it('prove prints a proof that verify-proof accepts offline, and refuses once the event is altered', async () => {
    const id = eventId(2, 3);
    const proved = await cli(['prove', id], store);
    expect(proved.stderr).toBe('');
    expect(proved.code).toBe(0);
    const proof = JSON.parse(proved.stdout);
    expect(proof).toMatchObject({
      event_id: id,
      leaf_index: 3,
      tree_size: 5,
      digest_key: written.digests[2],
    });
    expect(proof.chain).toHaveLength(3);
    expect(proof.head.digest_key).toBe(written.digests[5]);
    const file = join(dir, 'proof.json');
    writeFileSync(file, proved.stdout);
    // Offline: only the public key file; no archive settings in the environment.
    const offline = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
    const checked = await runCli(['verify-proof', file, '--public-key', publicKeyFile], offline);
    expect(checked.stdout).toContain('proof valid');
    expect(checked.code).toBe(0);

    proof.leaf.data = proof.leaf.data.replace('git.push', 'git.force_push');
    writeFileSync(file, JSON.stringify(proof));
    const refused = await runCli(['verify-proof', file, '--public-key', publicKeyFile], offline);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('proof NOT valid');
  });

  it('verify names a truncation: the newest digests and their objects deleted, the heads remain', async () => {
    expect((await cli(['verify'], store)).code).toBe(0);
    const s3 = s3Client();
    // Delete the last two rolls entirely (objects and digests), as an intruder holding the
    // store's root credentials can (they may bypass GOVERNANCE retention, not COMPLIANCE).
    for (const dKey of written.digests.slice(4)) {
      const signed = await store.getJson<{ digest: { objects: { key: string }[] } }>(dKey);
      for (const key of [dKey, ...signed.digest.objects.map((o) => o.key)]) {
        const versions = await s3.send(
          new ListObjectVersionsCommand({ Bucket: store.bucket, Prefix: store.prefix + key }),
        );
        for (const v of versions.Versions ?? [])
          await s3.send(
            new DeleteObjectCommand({
              Bucket: store.bucket,
              Key: v.Key,
              VersionId: v.VersionId,
              BypassGovernanceRetention: true,
            }),
          );
      }
    }
    // The heads are beyond it: COMPLIANCE mode refuses even root with the governance bypass.
    const head = headKey(written.digests[5] as string);
    const headVersions = await s3.send(
      new ListObjectVersionsCommand({ Bucket: store.bucket, Prefix: store.prefix + head }),
    );
    const refused = await s3
      .send(
        new DeleteObjectCommand({
          Bucket: store.bucket,
          Key: store.prefix + head,
          VersionId: headVersions.Versions?.[0]?.VersionId,
          BypassGovernanceRetention: true,
        }),
      )
      .then(
        () => 'deleted',
        (err: { name?: string }) => err.name,
      );
    expect(refused).not.toBe('deleted');
    s3.destroy();
    const verified = await cli(['verify'], store);
    expect(verified.code).toBe(1);
    expect(verified.stdout).toMatch(
      /truncated: chain audit\.clean\.v1\/0 ends at digest 4 .*the published head is digest 6 .*2 digests missing after offset 35/,
    );
    const json = JSON.parse(
      (await cli(['verify', '--json'], store)).stdout.trim().split('\n').at(-1) as string,
    );
    expect(json.ok).toBe(false);
    expect(json.truncated).toHaveLength(1);
  });
});
