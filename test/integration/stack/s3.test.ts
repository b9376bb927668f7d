import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectRetentionCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { endpoints, s3Client, unique } from '../../support/endpoints.ts';

describe('S3 store (real server)', () => {
  const bucket = () => endpoints().S3_BUCKET;

  it('puts, gets and lists objects in the archive bucket', async () => {
    const s3 = s3Client();
    const prefix = `${unique('smoke-s3')}/`;
    await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: `${prefix}a.ndjson`, Body: '{"a":1}\n' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket(), Key: `${prefix}b.ndjson`, Body: '{"b":2}\n' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket(), Key: `${prefix}a.ndjson` }));
    expect(await got.Body?.transformToString()).toBe('{"a":1}\n');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: prefix }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([`${prefix}a.ndjson`, `${prefix}b.ndjson`]);
    s3.destroy();
  });

  it('keeps an object written under Object Lock retention from being deleted', async () => {
    const s3 = s3Client();
    const key = `${unique('smoke-lock')}.ndjson`;
    const until = new Date(Date.now() + 60_000);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: bucket(),
        Key: key,
        Body: '{"locked":true}\n',
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: until,
      }),
    );
    expect(put.VersionId).toBeTruthy();
    const retention = await s3.send(new GetObjectRetentionCommand({ Bucket: bucket(), Key: key }));
    expect(retention.Retention?.Mode).toBe('GOVERNANCE');
    // Deleting the locked version itself must be refused.
    await expect(
      s3.send(new DeleteObjectCommand({ Bucket: bucket(), Key: key, VersionId: put.VersionId })),
    ).rejects.toThrow();
    s3.destroy();
  });
});
