import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { endpoints, s3Client, s3ClientFor, unique } from '../../support/endpoints.ts';

/** Object Lock's refusal (MinIO: 400 "Object is WORM protected"); the policies' refusals are 403. */
const OBJECT_LOCKED = 400;

/** An S3 client with one of the archive's identities (`stack env` exports each). */
function clientAs(role: 'archiver' | 'sweeper' | 'cli'): S3Client {
  const id = process.env[`AUDITFLOW_S3_${role.toUpperCase()}_ACCESS_KEY_ID`];
  const secret = process.env[`AUDITFLOW_S3_${role.toUpperCase()}_SECRET_ACCESS_KEY`];
  if (!id || !secret)
    throw new Error(`the ${role}'s S3 identity is not in the environment (stack env exports it)`);
  return s3ClientFor({ ...endpoints(), AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret });
}

/** The HTTP status a request ends with (200 when it succeeds). */
async function status(request: Promise<unknown>): Promise<number> {
  try {
    await request;
    return 200;
  } catch (err) {
    if (err instanceof S3ServiceException) return err.$metadata.httpStatusCode ?? 0;
    throw err;
  }
}

describe('least-privilege S3 identities of the archive', () => {
  const Bucket = endpoints().S3_BUCKET;
  const prefix = `${unique('it-identities')}/`;
  const root = s3Client();
  const archiver = clientAs('archiver');
  const sweeper = clientAs('sweeper');
  const cli = clientAs('cli');
  const locked = (seconds: number) => ({
    ObjectLockMode: 'GOVERNANCE' as const,
    ObjectLockRetainUntilDate: new Date(Date.now() + seconds * 1000),
  });

  afterAll(async () => {
    // Root may bypass governance retention: it removes what the test wrote.
    const versions = await root.send(new ListObjectVersionsCommand({ Bucket, Prefix: prefix }));
    for (const v of [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])]) {
      await root
        .send(
          new DeleteObjectCommand({
            Bucket,
            Key: v.Key,
            VersionId: v.VersionId,
            BypassGovernanceRetention: true,
          }),
        )
        .catch(() => {});
    }
    for (const c of [root, archiver, sweeper, cli]) c.destroy();
  });

  it('the archiver writes locked objects but is refused a delete, a governance bypass and a replacement', async () => {
    const Key = `${prefix}tenant=acme/date=2026-01-01/hour=00/audit.clean.v1+0+1-2.ndjson.gz`;
    const put = await archiver.send(
      new PutObjectCommand({ Bucket, Key, Body: 'original', IfNoneMatch: '*', ...locked(86_400) }),
    );
    expect(put.VersionId).toBeTruthy();
    // Delete (a delete marker), delete of the version, and the same with the governance bypass.
    expect(await status(archiver.send(new DeleteObjectCommand({ Bucket, Key })))).toBe(403);
    expect(
      await status(archiver.send(new DeleteObjectCommand({ Bucket, Key, VersionId: put.VersionId }))),
    ).toBe(403);
    expect(
      await status(
        archiver.send(
          new DeleteObjectCommand({ Bucket, Key, VersionId: put.VersionId, BypassGovernanceRetention: true }),
        ),
      ),
    ).toBe(403);
    // A create-only put of the same key is refused (how the archiver writes every object).
    expect(
      await status(archiver.send(new PutObjectCommand({ Bucket, Key, Body: 'forged', IfNoneMatch: '*' }))),
    ).toBe(412);
    // A plain put cannot replace the locked version either: it adds a version on top (S3 has no
    // policy condition to refuse it), the locked original stays readable and undeletable, and
    // `verify` reports the object as altered.
    await archiver.send(new PutObjectCommand({ Bucket, Key, Body: 'forged' }));
    const original = await root.send(new GetObjectCommand({ Bucket, Key, VersionId: put.VersionId }));
    expect(await original.Body?.transformToString()).toBe('original');
    expect(
      await status(
        root.send(new DeleteObjectCommand({ Bucket, Key, VersionId: put.VersionId })), // no bypass
      ),
    ).toBe(OBJECT_LOCKED);
  });

  // Which objects have expired is Object Lock's call (the sweeper may delete data objects, and
  // the store refuses until retention ends); the bypass that would skip it is denied.
  it('the archiver publishes a COMPLIANCE-locked head that nobody, root included, may delete', async () => {
    const Key = `${prefix}_heads/audit.clean.v1/0/00000000000000000001-00000000000000000002.json`;
    const put = await archiver.send(
      new PutObjectCommand({
        Bucket,
        Key,
        Body: '{}',
        IfNoneMatch: '*',
        ObjectLockMode: 'COMPLIANCE',
        // Just past putOnce's one-minute floor: the shared bucket forgets it soon.
        ObjectLockRetainUntilDate: new Date(Date.now() + 90_000),
      }),
    );
    expect(
      await status(
        root.send(
          new DeleteObjectCommand({ Bucket, Key, VersionId: put.VersionId, BypassGovernanceRetention: true }),
        ),
      ),
    ).toBe(OBJECT_LOCKED);
    expect(
      await status(sweeper.send(new DeleteObjectCommand({ Bucket, Key, VersionId: put.VersionId }))),
    ).toBe(403);
  });

  it('the sweeper deletes expired data objects only, never a locked one, a digest or with a bypass', async () => {
    const expired = `${prefix}tenant=acme/date=2020-01-01/hour=00/audit.clean.v1+0+3-4.ndjson.gz`;
    const live = `${prefix}tenant=acme/date=2026-01-01/hour=01/audit.clean.v1+0+5-6.ndjson.gz`;
    const digest = `${prefix}_digests/audit.clean.v1/0/00000000000000000005-00000000000000000006.json`;
    const shortLock = await root.send(
      new PutObjectCommand({ Bucket, Key: expired, Body: 'old', ...locked(2) }),
    );
    const longLock = await root.send(
      new PutObjectCommand({ Bucket, Key: live, Body: 'live', ...locked(86_400) }),
    );
    const digestPut = await root.send(new PutObjectCommand({ Bucket, Key: digest, Body: '{}' }));
    await sleep(3000);
    expect(
      await status(
        sweeper.send(new DeleteObjectCommand({ Bucket, Key: expired, VersionId: shortLock.VersionId })),
      ),
    ).toBe(200);
    expect(
      await status(
        sweeper.send(new DeleteObjectCommand({ Bucket, Key: live, VersionId: longLock.VersionId })),
      ),
    ).toBe(OBJECT_LOCKED);
    expect(
      await status(
        sweeper.send(
          new DeleteObjectCommand({
            Bucket,
            Key: live,
            VersionId: longLock.VersionId,
            BypassGovernanceRetention: true,
          }),
        ),
      ),
    ).toBe(403);
    expect(
      await status(
        sweeper.send(new DeleteObjectCommand({ Bucket, Key: digest, VersionId: digestPut.VersionId })),
      ),
    ).toBe(403);
    // Nor may it write data (only its deletion records).
    expect(await status(sweeper.send(new PutObjectCommand({ Bucket, Key: `${live}.x`, Body: 'x' })))).toBe(
      403,
    );
  });

  it('the CLI reads the archive but deletes no data object', async () => {
    const Key = `${prefix}tenant=acme/date=2026-01-01/hour=02/audit.clean.v1+0+7-8.ndjson.gz`;
    const put = await root.send(new PutObjectCommand({ Bucket, Key, Body: 'data' }));
    const got = await cli.send(new GetObjectCommand({ Bucket, Key }));
    expect(await got.Body?.transformToString()).toBe('data');
    expect(await status(cli.send(new DeleteObjectCommand({ Bucket, Key, VersionId: put.VersionId })))).toBe(
      403,
    );
    expect(await status(cli.send(new PutObjectCommand({ Bucket, Key, Body: 'forged' })))).toBe(403);
  });
});
