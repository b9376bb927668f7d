import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type CreateMultipartUploadCommandInput,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  type ObjectLockMode,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

export interface S3Settings {
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
}

/** Path-style and checksums only where required: what S3-compatible stores (MinIO) expect. */
export function s3Client(settings: S3Settings): S3Client {
  return new S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint, forcePathStyle: true } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(settings.accessKeyId && settings.secretAccessKey
      ? { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } }
      : {}),
  });
}

export const sha256Of = (body: Uint8Array): string => createHash('sha256').update(body).digest('hex');
const md5Of = (body: Uint8Array): string => createHash('md5').update(body).digest('base64');

export interface PutOptions {
  readonly contentType: string;
  /** Object Lock retention; ignored when undefined or in the past (nothing to protect). */
  readonly retainUntil?: number;
  readonly lockMode?: ObjectLockMode;
  readonly legalHold?: boolean;
  readonly metadata?: Record<string, string>;
  /** Object tags (lifecycle rules select by them). */
  readonly tags?: Record<string, string>;
}

export interface StoredObject {
  readonly key: string;
  readonly sha256: string;
  readonly size: number;
  /** false: an object with this key was already there (an earlier attempt wrote it). */
  readonly created: boolean;
}

const statusOf = (err: unknown): number | undefined =>
  err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;

/**
 * The archive bucket. Every write is create-only (`If-None-Match: *`): keys are derived from
 * their contents' Kafka range, so finding the key taken means an earlier attempt already wrote
 * it, and the stored object (not ours) is what gets listed in the digest.
 */
export class ArchiveStore {
  /** `prefix` places the whole archive under one folder of the bucket (e.g. per environment). */
  constructor(
    readonly s3: S3Client,
    readonly bucket: string,
    private readonly multipartBytes = 16 * 1024 * 1024,
    readonly prefix = '',
  ) {}

  private at(key: string): string {
    return this.prefix + key;
  }

  async putOnce(key: string, body: Buffer, options: PutOptions): Promise<StoredObject> {
    const sha256 = sha256Of(body);
    const lock =
      options.lockMode && options.retainUntil !== undefined && options.retainUntil > Date.now() + 60_000
        ? { ObjectLockMode: options.lockMode, ObjectLockRetainUntilDate: new Date(options.retainUntil) }
        : {};
    const common = {
      Bucket: this.bucket,
      Key: this.at(key),
      ContentType: options.contentType,
      Metadata: { sha256, ...options.metadata },
      ...lock,
      ...(options.legalHold ? { ObjectLockLegalHoldStatus: 'ON' as const } : {}),
      ...(options.tags ? { Tagging: new URLSearchParams(options.tags).toString() } : {}),
    };
    try {
      if (body.length > this.multipartBytes) {
        // Parts cannot be made conditional one by one: look first, complete conditionally.
        const existing = await this.head(key);
        if (existing) return { ...existing, created: false };
        await this.putMultipart(common, body);
      } else {
        await this.s3.send(
          new PutObjectCommand({ ...common, Body: body, ContentMD5: md5Of(body), IfNoneMatch: '*' }),
        );
      }
      return { key, sha256, size: body.length, created: true };
    } catch (err) {
      if (statusOf(err) !== 412) throw err;
      const existing = await this.head(key);
      if (!existing) throw err;
      return { ...existing, created: false };
    }
  }

  /** Large rolls go up in parts; completion is conditional like a single put. */
  private async putMultipart(common: CreateMultipartUploadCommandInput, body: Buffer): Promise<void> {
    const { UploadId } = await this.s3.send(new CreateMultipartUploadCommand(common));
    try {
      const parts: { ETag: string | undefined; PartNumber: number }[] = [];
      for (let start = 0, n = 1; start < body.length; start += this.multipartBytes, n++) {
        const part = body.subarray(start, start + this.multipartBytes);
        const { ETag } = await this.s3.send(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: common.Key,
            UploadId,
            PartNumber: n,
            Body: part,
            ContentMD5: md5Of(part),
          }),
        );
        parts.push({ ETag, PartNumber: n });
      }
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: common.Key,
          UploadId,
          MultipartUpload: { Parts: parts },
          IfNoneMatch: '*',
        }),
      );
    } catch (err) {
      await this.s3
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: common.Key, UploadId }))
        .catch(() => undefined);
      throw err;
    }
  }

  /** The object's recorded SHA-256 and size, or undefined when there is none. */
  async head(key: string): Promise<Omit<StoredObject, 'created'> | undefined> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.at(key) }));
      const sha256 = head.Metadata?.sha256 ?? sha256Of(await this.get(key));
      return { key, sha256, size: head.ContentLength ?? 0 };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async get(key: string): Promise<Buffer> {
    const got = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.at(key) }));
    return Buffer.from((await got.Body?.transformToByteArray()) ?? []);
  }

  async getJson<T>(key: string): Promise<T> {
    return JSON.parse((await this.get(key)).toString('utf8')) as T;
  }

  /** Every key under a prefix with its size, in key order. */
  async list(prefix: string): Promise<{ key: string; size: number; lastModified: number }[]> {
    const found: { key: string; size: number; lastModified: number }[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.at(prefix), ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        found.push({
          key: o.Key.slice(this.prefix.length),
          size: o.Size ?? 0,
          lastModified: o.LastModified?.getTime() ?? 0,
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found;
  }

  /** The first path segments under a prefix (e.g. every `tenant=…/`). */
  async commonPrefixes(prefix: string): Promise<string[]> {
    const found: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.at(prefix),
          Delimiter: '/',
          ContinuationToken: token,
        }),
      );
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) found.push(p.Prefix.slice(this.prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found;
  }

  /**
   * Removes every version of a key (the bucket is versioned: a plain delete would only hide the
   * data behind a delete marker). Object Lock refuses versions still under retention or hold.
   */
  async deleteAllVersions(key: string): Promise<void> {
    const Key = this.at(key);
    const versions = await this.s3.send(new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: Key }));
    const ids = [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])]
      .filter((v) => v.Key === Key)
      .map((v) => v.VersionId);
    for (const VersionId of ids) {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key, VersionId }));
    }
  }

  /** Turns an object's legal hold on or off (its newest version). */
  async setLegalHold(key: string, on: boolean): Promise<void> {
    await this.s3.send(
      new PutObjectLegalHoldCommand({
        Bucket: this.bucket,
        Key: this.at(key),
        LegalHold: { Status: on ? 'ON' : 'OFF' },
      }),
    );
  }

  async legalHoldOn(key: string): Promise<boolean> {
    try {
      const got = await this.s3.send(
        new GetObjectLegalHoldCommand({ Bucket: this.bucket, Key: this.at(key) }),
      );
      return got.LegalHold?.Status === 'ON';
    } catch (err) {
      // No hold configuration on this object (or no Object Lock on the bucket).
      if (statusOf(err) === 404 || statusOf(err) === 400) return false;
      throw err;
    }
  }
}
