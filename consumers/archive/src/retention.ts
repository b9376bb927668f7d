import type { KeyObject } from 'node:crypto';
import type { RetentionPolicy } from '@auditflow/schemas';
import {
  GetBucketLifecycleConfigurationCommand,
  HeadObjectCommand,
  type LifecycleRule,
  PutBucketLifecycleConfigurationCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { signDeletion } from './digest.ts';
import { loadHolds } from './holds.ts';
import { DELETIONS_PREFIX, HOLDS_PREFIX, hourPrefixes, parseObjectKey, tenantSegment } from './keys.ts';
import type { LegalHold } from './roll.ts';
import type { ArchiveStore } from './store.ts';

/** The tag every data object carries: lifecycle rules select objects by it. */
export const CLASS_TAG = 'auditflow-retention-class';

/**
 * S3 lifecycle rules for the policy's classes (SPEC A2): per class, transitions to colder
 * storage and expiry after its days. Object Lock and legal holds still protect what they cover:
 * the store refuses to expire a locked or held version. Old versions go a day after expiry.
 */
export function lifecycleRules(policy: RetentionPolicy, prefix = ''): LifecycleRule[] {
  return Object.entries(policy.classes).map(([name, retentionClass]) => ({
    ID: `auditflow-${name}`,
    Status: 'Enabled',
    Filter: { And: { Prefix: `${prefix}tenant=`, Tags: [{ Key: CLASS_TAG, Value: name }] } },
    Transitions: retentionClass.transitions.map((t) => ({
      Days: t.afterDays,
      StorageClass: t.storageClass as NonNullable<LifecycleRule['Transitions']>[number]['StorageClass'],
    })),
    Expiration: { Days: retentionClass.days },
    NoncurrentVersionExpiration: { NoncurrentDays: 1 },
  }));
}

export interface ApplyResult {
  readonly rules: LifecycleRule[];
  /** Why transitions were left out, when the store refused them (e.g. MinIO without tiers). */
  readonly transitionsRefused?: string;
}

/** Sets the bucket's lifecycle rules from the policy; stores without storage tiers get expiry only. */
export async function applyLifecycle(store: ArchiveStore, policy: RetentionPolicy): Promise<ApplyResult> {
  const rules = lifecycleRules(policy, store.prefix);
  const put = (list: LifecycleRule[]) =>
    store.s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: store.bucket,
        LifecycleConfiguration: { Rules: list },
      }),
    );
  try {
    await put(rules);
    return { rules };
  } catch (err) {
    if (!(err instanceof S3ServiceException) || rules.every((r) => (r.Transitions ?? []).length === 0))
      throw err;
    const expiryOnly = rules.map(({ Transitions: _dropped, ...rule }) => rule);
    await put(expiryOnly);
    return { rules: expiryOnly, transitionsRefused: err.message };
  }
}

export async function currentLifecycle(store: ArchiveStore): Promise<LifecycleRule[]> {
  try {
    const got = await store.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: store.bucket }));
    return got.Rules ?? [];
  } catch {
    return [];
  }
}

export type SweepVerdict = 'expired' | 'retained' | 'held';

/**
 * Whether an object may go: past its retain-until date and under no hold. Pure. `segment` is
 * the tenant segment of its key (a long tenant id is hashed there, see `tenantSegment`).
 */
export function sweepVerdict(
  object: { segment: string; hour: number; retainUntil: number },
  holds: readonly LegalHold[],
  now: number,
): SweepVerdict {
  if (object.retainUntil > now) return 'retained';
  return holds.some((h) => holdOverlapsHour(h, object.segment, object.hour)) ? 'held' : 'expired';
}

/** Any event of an hour object may be held: a hold touching the hour holds the object. */
export const holdOverlapsHour = (hold: LegalHold, segment: string, hour: number): boolean =>
  tenantSegment(hold.tenant) === segment &&
  Date.parse(hold.from) < hour + 3_600_000 &&
  Date.parse(hold.to) >= hour;

export interface SweepReport {
  readonly dryRun: boolean;
  readonly examined: number;
  readonly deleted: string[];
  readonly held: string[];
  /** Expired by its metadata but refused by the store (Object Lock still in force). */
  readonly locked: string[];
  readonly deletionRecord?: string;
}

const statusOf = (err: unknown): number | undefined =>
  err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;

/**
 * The sweeper (SPEC A2): deletes data objects whose retention has passed, never one under a
 * legal hold or still locked, and writes a signed record of what it deleted (so `verify` tells
 * a swept object from a missing one). `audit` is called once per deletion batch.
 */
export async function sweep(
  store: ArchiveStore,
  options: {
    signingKey: KeyObject;
    policyHolds?: readonly LegalHold[];
    now?: number;
    dryRun?: boolean;
    audit?: (deleted: readonly string[], recordKey: string) => Promise<void>;
  },
): Promise<SweepReport> {
  const now = options.now ?? Date.now();
  const holds = await loadHolds(store, options.policyHolds);
  const deleted: string[] = [];
  const held: string[] = [];
  const locked: string[] = [];
  let examined = 0;
  for (const { key } of await store.list('tenant=')) {
    const at = parseObjectKey(key);
    if (!at) continue;
    examined++;
    const head = await store.s3.send(
      new HeadObjectCommand({ Bucket: store.bucket, Key: store.prefix + key }),
    );
    const retainUntil = Date.parse(head.Metadata?.['retain-until'] ?? '');
    // No readable retain-until date: keep it (a sweeper must never guess in favour of deleting).
    if (Number.isNaN(retainUntil)) continue;
    const verdict = sweepVerdict({ segment: at.segment, hour: at.hour, retainUntil }, holds, now);
    if (verdict === 'retained') continue;
    if (verdict === 'held' || head.ObjectLockLegalHoldStatus === 'ON') {
      held.push(key);
      continue;
    }
    if (options.dryRun) {
      deleted.push(key);
      continue;
    }
    try {
      await store.deleteAllVersions(key);
      deleted.push(key);
    } catch (err) {
      if (statusOf(err) !== 403 && statusOf(err) !== 400) throw err;
      locked.push(key);
    }
  }
  if (options.dryRun || deleted.length === 0)
    return { dryRun: !!options.dryRun, examined, deleted, held, locked };
  const record = signDeletion(
    { version: 1, deleted_at: new Date(now).toISOString(), keys: deleted, reason: 'retention expired' },
    options.signingKey,
  );
  const recordKey = `${DELETIONS_PREFIX}${new Date(now).toISOString().replaceAll(':', '')}-${deleted.length}.json`;
  await store.putOnce(recordKey, Buffer.from(`${JSON.stringify(record)}\n`), {
    contentType: 'application/json',
  });
  await options.audit?.(deleted, recordKey);
  return { dryRun: false, examined, deleted, held, locked, deletionRecord: recordKey };
}

/** Sets (or clears) the store's legal hold on every object of a tenant and time range. */
export async function markHold(
  store: ArchiveStore,
  hold: { tenant: string; from: string; to: string },
  on: boolean,
  otherHolds: readonly LegalHold[] = [],
): Promise<string[]> {
  const from = Date.parse(hold.from);
  const to = Date.parse(hold.to);
  const changed: string[] = [];
  for (const prefix of hourPrefixes([hold.tenant], from, to)) {
    for (const { key } of await store.list(prefix)) {
      const at = parseObjectKey(key);
      if (!at) continue;
      // Releasing one hold leaves objects another hold still covers held.
      if (!on && otherHolds.some((h) => holdOverlapsHour(h, at.segment, at.hour))) continue;
      await store.setLegalHold(key, on);
      changed.push(key);
    }
  }
  return changed;
}

/** Removes a hold set with `retention hold` and clears the store's hold where no other applies. */
export async function releaseHold(
  store: ArchiveStore,
  id: string,
  policyHolds: readonly LegalHold[] = [],
): Promise<{ hold: LegalHold; released: string[] }> {
  const holds = await loadHolds(store, policyHolds);
  const hold = holds.find((h) => h.id === id);
  if (!hold) throw new Error(`no legal hold with id ${id} (list them with: auditflow retention holds)`);
  if (id.startsWith('policy-'))
    throw new Error(`hold ${id} is in the retention policy file: remove it there`);
  await store.deleteAllVersions(`${HOLDS_PREFIX}${id}.json`);
  const released = await markHold(
    store,
    hold,
    false,
    holds.filter((h) => h.id !== id),
  );
  return { hold, released };
}
