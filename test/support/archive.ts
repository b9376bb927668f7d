import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { ArchiveStore, parseObjectKey } from '@auditflow/archive';
import { Archiver, type ArchiverConfig } from '@auditflow/archiver';
import type { AuditEventJson } from '@auditflow/schemas';
import type { S3Client } from '@aws-sdk/client-s3';
import { type Logger, pino } from 'pino';
import { Registry } from 'prom-client';
import { endpoints, s3Client, unique } from './endpoints.ts';

/** One signing key per test run; its public half is what `verify` trusts. */
export const ARCHIVE_KEYS = generateKeyPairSync('ed25519');

/** The archive under a folder of its own in the shared bucket, so tests never see each other's objects. */
export function testArchiveStore(
  prefix = `${unique('archive')}/`,
  client: S3Client = s3Client(),
): ArchiveStore {
  return new ArchiveStore(client, endpoints().S3_BUCKET, 5 * 1_048_576, prefix);
}

export function testArchiver(
  topics: { clean: string; dlq: string },
  store: ArchiveStore,
  overrides: Partial<ArchiverConfig> = {},
  deps: { key?: KeyObject; logger?: Logger; registry?: Registry } = {},
): Archiver {
  return new Archiver(
    {
      brokers: endpoints().KAFKA_BROKERS.split(','),
      registryUrl: endpoints().SCHEMA_REGISTRY_URL,
      groupId: unique('archiver'),
      topic: topics.clean,
      dlqTopic: topics.dlq,
      roll: { maxAgeMs: 2000, maxBytes: 256 * 1024 },
      lockMode: 'GOVERNANCE',
      defaultRetention: { retentionClass: 'standard', days: 365 },
      holdsRefreshMs: 5000,
      policyHolds: [],
      ...overrides,
    },
    store,
    deps.key ?? ARCHIVE_KEYS.privateKey,
    { logger: deps.logger ?? pino({ level: 'silent' }), registry: deps.registry ?? new Registry() },
  );
}

export interface ArchivedEvent {
  readonly key: string;
  readonly event: AuditEventJson;
}

/** Every event in every data object of the archive, read back through S3. */
export async function archivedEvents(store: ArchiveStore): Promise<ArchivedEvent[]> {
  const out: ArchivedEvent[] = [];
  for (const { key } of await store.list('tenant=')) {
    if (!parseObjectKey(key)) continue;
    const lines = gunzipSync(await store.get(key))
      .toString('utf8')
      .split('\n')
      .filter(Boolean);
    for (const line of lines) out.push({ key, event: JSON.parse(line) as AuditEventJson });
  }
  return out;
}

/** Polls until the archive holds `count` events (or the time is up) and returns them. */
export async function archivedWhen(
  store: ArchiveStore,
  count: number,
  timeoutMs = 90_000,
): Promise<ArchivedEvent[]> {
  const deadline = Date.now() + timeoutMs;
  let events = await archivedEvents(store);
  while (events.length < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    events = await archivedEvents(store);
  }
  return events;
}

/** The test run's signing key in the form the archiver's environment takes. */
export const ARCHIVE_SIGNING_KEY_ENV = ARCHIVE_KEYS.privateKey
  .export({ type: 'pkcs8', format: 'der' })
  .toString('base64');
