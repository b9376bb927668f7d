import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { loadCredentials } from '../credentials.ts';
import { installGoBinary } from '../install.ts';
import type { StackPaths } from '../paths.ts';
import { ensureS3Identities, installMc } from '../s3-identities.ts';
import { type LocalServer, probe } from './server.ts';

/** The newest MinIO commit the Go module proxy serves (its RELEASE tags are not semver). */
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
export const S3_PORT = 9000;
const CONSOLE_PORT = 9001;
export const S3_ENDPOINT = `http://127.0.0.1:${S3_PORT}`;
export const S3_BUCKET = 'audit-archive';
export const S3_REGION = 'us-east-1';

function binDir(paths: StackPaths): string {
  return join(paths.cache, 'dist', `minio-${MINIO_VERSION}`);
}

/** An S3 client set up the way S3-compatible stores need: path-style, checksums only when required. */
export function localS3Client(paths: StackPaths, endpoint = S3_ENDPOINT): S3Client {
  const credentials = loadCredentials(paths);
  return new S3Client({
    endpoint,
    region: S3_REGION,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: credentials.s3AccessKey, secretAccessKey: credentials.s3SecretKey },
  });
}

/** MinIO on the given ports (tests run a second one that they can stop). */
export function createS3Server(port = S3_PORT, consolePort = CONSOLE_PORT): LocalServer {
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    name: 's3',
    title: 'MinIO (S3 with versioning and Object Lock)',
    version: MINIO_VERSION,
    ports: [port, consolePort],
    startTimeoutS: 60,

    async install(paths, report) {
      await installGoBinary(binDir(paths), 'github.com/minio/minio', MINIO_VERSION, report);
      await installMc(paths, report);
    },

    async prepare(_paths, dirs) {
      mkdirSync(dirs.data, { recursive: true });
    },

    launch(paths, dirs) {
      const credentials = loadCredentials(paths);
      return {
        command: join(binDir(paths), 'bin', 'minio'),
        args: [
          'server',
          dirs.data,
          '--address',
          `127.0.0.1:${port}`,
          '--console-address',
          `127.0.0.1:${consolePort}`,
        ],
        cwd: dirs.root,
        env: {
          ...process.env,
          MINIO_ROOT_USER: credentials.s3AccessKey,
          MINIO_ROOT_PASSWORD: credentials.s3SecretKey,
          MINIO_UPDATE: 'off',
          MINIO_REGION: S3_REGION,
        },
      };
    },

    async ready() {
      return (await probe(`${endpoint}/minio/health/ready`))?.status === 200;
    },

    /**
     * Creates the archive bucket with Object Lock (which turns versioning on), once, and the
     * archive's least-privilege identities (kept current on every `stack up`).
     */
    async afterReady(paths) {
      const client = localS3Client(paths, endpoint);
      try {
        try {
          await client.send(new HeadBucketCommand({ Bucket: S3_BUCKET }));
        } catch {
          await client.send(new CreateBucketCommand({ Bucket: S3_BUCKET, ObjectLockEnabledForBucket: true }));
        }
        await client.send(new GetObjectLockConfigurationCommand({ Bucket: S3_BUCKET }));
      } finally {
        client.destroy();
      }
      await ensureS3Identities(paths, endpoint);
    },

    async runningVersion() {
      const res = await probe(`${endpoint}/minio/health/live`);
      return res?.status === 200 ? MINIO_VERSION : undefined;
    },
  };
}

export const s3: LocalServer = createS3Server();
