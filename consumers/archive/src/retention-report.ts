import type { KeyObject } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { RetentionPolicy } from '@auditflow/schemas';
import {
  GetObjectLockConfigurationCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  type LifecycleRule,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { checkDeletion, type SignedDeletion } from './digest.ts';
import { loadHolds, policyHoldsOf } from './holds.ts';
import { DELETIONS_PREFIX, parseObjectKey, tenantSegment } from './keys.ts';
import { CLASS_TAG, currentLifecycle, lifecycleRules } from './retention.ts';
import type { LegalHold } from './roll.ts';
import type { ArchiveStore } from './store.ts';
import { countLines } from './verify.ts';

/**
 * `auditflow retention report` (issue 18, part 3): what the archive holds per retention class and
 * how it is protected, as evidence for an auditor (AU-11, A.8.15) and as the data the compliance
 * report's retention section prints. It reads object headers, tags and the sweeper's signed
 * deletion records, never the objects' contents, except the objects of each class's oldest hour
 * (to name the oldest event held exactly).
 *
 * Objects, not events, carry a class: the archiver gives an object the class of its event that
 * must be kept longest (roll.ts), and lifecycle rules and the sweeper act on whole objects. So
 * "events held in class X" counts the events in objects of class X.
 */

export interface ClassPolicy {
  readonly days: number;
  readonly transitions: readonly { afterDays: number; storageClass: string }[];
  /** The policy rules that choose this class, in policy order. */
  readonly match: readonly Record<string, readonly string[]>[];
  /** Whether unmatched events get this class. */
  readonly isDefault: boolean;
}

/** How the bucket's lifecycle configuration stands against what the policy asks for. */
export type LifecycleState =
  /** A rule with the class's expiry and transitions. */
  | 'applied'
  /** Expiry as asked, transitions missing (a store without storage tiers refuses them). */
  | 'applied-expiry-only'
  /** A rule with this class's id whose expiry or transitions differ from the policy. */
  | 'differs'
  /** No rule (run `auditflow retention apply`); the sweeper still deletes expired objects. */
  | 'missing';

export interface ClassReport {
  readonly name: string;
  /** Undefined for a class found on objects but no longer in the policy. */
  readonly policy?: ClassPolicy;
  readonly objects: number;
  readonly events: number;
  readonly bytes: number;
  /** UTC hour (ISO) of the oldest and newest objects of the class. */
  readonly oldestHour?: string;
  readonly newestHour?: string;
  /** The oldest event held, read from the oldest object. */
  readonly oldestEvent?: { readonly id: string; readonly occurredAt: string; readonly key: string };
  /** Objects under Object Lock retention still in force, by mode. */
  readonly locked: { readonly GOVERNANCE: number; readonly COMPLIANCE: number };
  /** Objects with no Object Lock retention in force (a store without Object Lock, or expired). */
  readonly unlocked: number;
  /** Earliest and latest retain-until dates among the objects (ISO). */
  readonly retainUntil?: { readonly earliest: string; readonly latest: string };
  /** Objects past their retain-until date still held (by a legal hold, or not swept yet). */
  readonly pastRetention: number;
  /** Objects with the store's legal hold on. */
  readonly legalHoldObjects: number;
  readonly storageClasses: Readonly<Record<string, number>>;
  readonly lifecycle: { readonly rule: string; readonly state: LifecycleState };
}

export interface SweepRecord {
  readonly key: string;
  readonly deletedAt: string;
  readonly reason: string;
  /** Objects the record lists (of the tenant asked for, when one is). */
  readonly objects: number;
  readonly keys: readonly string[];
  /** The record's Ed25519 signature, checked when a public key was given. */
  readonly signature: 'valid' | 'invalid' | 'unchecked';
}

export interface RetentionReport {
  readonly generatedAt: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly tenant?: string;
  /** The period sweeps and holds are reported for (objects held are reported as of now). */
  readonly period: { readonly from?: string; readonly to?: string };
  readonly objectLock: {
    readonly enabled: boolean;
    readonly defaultRetention?: { readonly mode?: string; readonly days?: number; readonly years?: number };
  };
  readonly classes: readonly ClassReport[];
  /** Holds in force now (bucket and policy file) that cover the tenant and overlap the period. */
  readonly legalHolds: readonly LegalHold[];
  /** The sweeper's signed deletion records dated in the period. */
  readonly sweeps: readonly SweepRecord[];
  readonly totals: { readonly objects: number; readonly events: number; readonly deletedInPeriod: number };
  /** Objects whose class was inferred from their retain-until date (their tags could not be read). */
  readonly classesInferred: number;
}

export interface RetentionReportOptions {
  readonly now?: Date;
  readonly from?: Date;
  readonly to?: Date;
  readonly tenant?: string;
  /** The archive's public key: deletion records' signatures are checked with it. */
  readonly publicKey?: KeyObject;
  /** Object requests in flight at once. */
  readonly concurrency?: number;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

const statusOf = (err: unknown): number | undefined =>
  err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;

/** The policy's view of each class: days, transitions, and the rules that select it. Pure. */
export function classPolicies(policy: RetentionPolicy): Map<string, ClassPolicy> {
  const out = new Map<string, ClassPolicy>();
  for (const [name, c] of Object.entries(policy.classes)) {
    out.set(name, {
      days: c.days,
      transitions: c.transitions,
      match: policy.rules
        .filter((r) => r.class === name)
        .map((r) => Object.fromEntries(Object.entries(r.match).filter(([, v]) => v !== undefined))),
      isDefault: policy.default === name,
    });
  }
  return out;
}

/**
 * The class an object most likely has when its tag cannot be read: the policy class whose days
 * put the retain-until date within the object's hour (an object's date is its latest event's
 * filing time plus the class's days). Undefined when no class, or more than one, fits. Pure.
 */
export function inferClass(policy: RetentionPolicy, hour: number, retainUntil: number): string | undefined {
  const fits = Object.entries(policy.classes).filter(([, c]) => {
    const start = hour + c.days * DAY;
    return retainUntil >= start && retainUntil < start + HOUR;
  });
  return fits.length === 1 ? fits[0]?.[0] : undefined;
}

/** How the bucket's rule for a class compares with the policy's. Pure. */
export function lifecycleStateOf(expected: LifecycleRule, current: readonly LifecycleRule[]): LifecycleState {
  const rule = current.find((r) => r.ID === expected.ID);
  if (rule?.Status !== 'Enabled') return 'missing';
  if (rule.Expiration?.Days !== expected.Expiration?.Days) return 'differs';
  const shape = (r: LifecycleRule) =>
    JSON.stringify((r.Transitions ?? []).map((t) => [t.Days, t.StorageClass]));
  if (shape(rule) === shape(expected)) return 'applied';
  return (rule.Transitions ?? []).length === 0 ? 'applied-expiry-only' : 'differs';
}

/** Whether a hold covers the tenant and overlaps [from, to]. Pure. */
export function holdInPeriod(hold: LegalHold, tenant: string | undefined, from: number, to: number): boolean {
  if (tenant !== undefined && tenantSegment(hold.tenant) !== tenantSegment(tenant)) return false;
  return Date.parse(hold.from) <= to && Date.parse(hold.to) >= from;
}

/** Runs `work` over `items` with at most `limit` at once, results in input order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

interface ObjectState {
  readonly key: string;
  readonly hour: number;
  readonly className: string;
  readonly inferred: boolean;
  readonly events: number;
  readonly bytes: number;
  readonly retainUntil?: number;
  readonly lockMode?: string;
  readonly lockUntil?: number;
  readonly legalHold: boolean;
  readonly storageClass: string;
}

const UNKNOWN_CLASS = '(unknown)';

async function classTag(store: ArchiveStore, key: string): Promise<string | undefined> {
  try {
    const tags = await store.s3.send(
      new GetObjectTaggingCommand({ Bucket: store.bucket, Key: store.prefix + key }),
    );
    return tags.TagSet?.find((t) => t.Key === CLASS_TAG)?.Value;
  } catch (err) {
    // A role without s3:GetObjectTagging: the class is inferred from the retain-until date.
    if (statusOf(err) === 403) return undefined;
    throw err;
  }
}

async function objectState(
  store: ArchiveStore,
  policy: RetentionPolicy,
  key: string,
  hour: number,
): Promise<ObjectState> {
  const [head, tag] = await Promise.all([
    store.s3.send(new HeadObjectCommand({ Bucket: store.bucket, Key: store.prefix + key })),
    classTag(store, key),
  ]);
  const retainUntil = Date.parse(head.Metadata?.['retain-until'] ?? '');
  const known = Number.isNaN(retainUntil) ? undefined : retainUntil;
  const inferred =
    tag === undefined ? (known === undefined ? undefined : inferClass(policy, hour, known)) : undefined;
  let events = Number(head.Metadata?.events);
  // Objects written before the archiver recorded the count: count their lines.
  if (!Number.isInteger(events) || events < 0) events = countLines(await store.get(key));
  return {
    key,
    hour,
    className: tag ?? inferred ?? UNKNOWN_CLASS,
    inferred: tag === undefined,
    events,
    bytes: head.ContentLength ?? 0,
    retainUntil: known,
    lockMode: head.ObjectLockMode,
    lockUntil: head.ObjectLockRetainUntilDate?.getTime(),
    legalHold: head.ObjectLockLegalHoldStatus === 'ON',
    storageClass: head.StorageClass ?? 'STANDARD',
  };
}

/** The earliest event in an object by its own time (the first line need not be the oldest). */
async function oldestEventOf(store: ArchiveStore, key: string): Promise<ClassReport['oldestEvent']> {
  let oldest: { id: string; occurredAt: string; at: number } | undefined;
  for (const line of gunzipSync(await store.get(key))
    .toString('utf8')
    .split('\n')) {
    if (!line) continue;
    const event = JSON.parse(line) as { id?: string; occurred_at?: string };
    const at = Date.parse(event.occurred_at ?? '');
    if (Number.isNaN(at) || (oldest && oldest.at <= at)) continue;
    oldest = { id: String(event.id), occurredAt: new Date(at).toISOString(), at };
  }
  return oldest && { id: oldest.id, occurredAt: oldest.occurredAt, key };
}

/**
 * The class's oldest event: it is in one of the objects of the oldest hour, but keys do not say
 * which (an hour holds an object per tenant and partition, each with its own first event), so
 * every object of that hour is read; usually a handful.
 */
async function oldestEventIn(
  store: ArchiveStore,
  objects: readonly { readonly hour: number; readonly key: string }[],
): Promise<ClassReport['oldestEvent']> {
  const hour = Math.min(...objects.map((o) => o.hour));
  let oldest: ClassReport['oldestEvent'];
  for (const o of objects) {
    if (o.hour !== hour) continue;
    const candidate = await oldestEventOf(store, o.key);
    if (candidate && (!oldest || Date.parse(candidate.occurredAt) < Date.parse(oldest.occurredAt)))
      oldest = candidate;
  }
  return oldest;
}

/**
 * Sums object states into one class's report. Pure (the oldest event is added by the caller).
 */
export function summariseClass(
  name: string,
  objects: readonly Omit<ObjectState, 'key' | 'inferred'>[],
  now: number,
  policy: ClassPolicy | undefined,
  lifecycle: ClassReport['lifecycle'],
): ClassReport {
  const locked = { GOVERNANCE: 0, COMPLIANCE: 0 };
  const storageClasses: Record<string, number> = {};
  let unlocked = 0;
  let pastRetention = 0;
  let legalHoldObjects = 0;
  let events = 0;
  let bytes = 0;
  let oldest = Number.POSITIVE_INFINITY;
  let newest = Number.NEGATIVE_INFINITY;
  let earliest = Number.POSITIVE_INFINITY;
  let latest = Number.NEGATIVE_INFINITY;
  for (const o of objects) {
    events += o.events;
    bytes += o.bytes;
    oldest = Math.min(oldest, o.hour);
    newest = Math.max(newest, o.hour);
    if (
      o.lockUntil !== undefined &&
      o.lockUntil > now &&
      (o.lockMode === 'GOVERNANCE' || o.lockMode === 'COMPLIANCE')
    )
      locked[o.lockMode]++;
    else unlocked++;
    if (o.retainUntil !== undefined) {
      earliest = Math.min(earliest, o.retainUntil);
      latest = Math.max(latest, o.retainUntil);
      if (o.retainUntil <= now) pastRetention++;
    }
    if (o.legalHold) legalHoldObjects++;
    storageClasses[o.storageClass] = (storageClasses[o.storageClass] ?? 0) + 1;
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    name,
    ...(policy ? { policy } : {}),
    objects: objects.length,
    events,
    bytes,
    ...(objects.length > 0 ? { oldestHour: iso(oldest), newestHour: iso(newest) } : {}),
    locked,
    unlocked,
    ...(Number.isFinite(earliest) ? { retainUntil: { earliest: iso(earliest), latest: iso(latest) } } : {}),
    pastRetention,
    legalHoldObjects,
    storageClasses,
    lifecycle,
  };
}

async function objectLockOf(store: ArchiveStore): Promise<RetentionReport['objectLock']> {
  try {
    const got = await store.s3.send(new GetObjectLockConfigurationCommand({ Bucket: store.bucket }));
    const rule = got.ObjectLockConfiguration?.Rule?.DefaultRetention;
    return {
      enabled: got.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled',
      ...(rule ? { defaultRetention: { mode: rule.Mode, days: rule.Days, years: rule.Years } } : {}),
    };
  } catch (err) {
    // No Object Lock configuration at all (a bucket made without it).
    if (statusOf(err) === 404 || statusOf(err) === 400) return { enabled: false };
    throw err;
  }
}

async function sweepsIn(
  store: ArchiveStore,
  segment: string | undefined,
  from: number,
  to: number,
  publicKey: KeyObject | undefined,
): Promise<SweepRecord[]> {
  const sweeps: SweepRecord[] = [];
  for (const { key } of await store.list(DELETIONS_PREFIX)) {
    const signed = await store.getJson<SignedDeletion>(key);
    const at = Date.parse(signed.deletion?.deleted_at ?? '');
    if (Number.isNaN(at) || at < from || at > to) continue;
    const keys = (signed.deletion.keys ?? []).filter(
      (k) => segment === undefined || parseObjectKey(k)?.segment === segment,
    );
    if (segment !== undefined && keys.length === 0) continue;
    sweeps.push({
      key,
      deletedAt: new Date(at).toISOString(),
      reason: signed.deletion.reason,
      objects: keys.length,
      keys,
      signature: publicKey ? (checkDeletion(signed, publicKey) ? 'valid' : 'invalid') : 'unchecked',
    });
  }
  return sweeps;
}

export async function retentionReport(
  store: ArchiveStore,
  policy: RetentionPolicy,
  opts: RetentionReportOptions = {},
): Promise<RetentionReport> {
  const now = (opts.now ?? new Date()).getTime();
  const from = opts.from?.getTime() ?? Number.NEGATIVE_INFINITY;
  const to = opts.to?.getTime() ?? now;
  const segment = opts.tenant === undefined ? undefined : tenantSegment(opts.tenant);
  const listed = (await store.list(segment === undefined ? 'tenant=' : `tenant=${segment}/`)).flatMap(
    ({ key }) => {
      const at = parseObjectKey(key);
      return at ? [{ key, hour: at.hour }] : [];
    },
  );
  const states = await mapLimit(listed, opts.concurrency ?? 8, (o) =>
    objectState(store, policy, o.key, o.hour),
  );
  const byClass = new Map<string, ObjectState[]>();
  for (const name of Object.keys(policy.classes)) byClass.set(name, []);
  for (const s of states) {
    const list = byClass.get(s.className);
    if (list) list.push(s);
    else byClass.set(s.className, [s]);
  }
  const policies = classPolicies(policy);
  const expected = new Map(lifecycleRules(policy, store.prefix).map((r) => [r.ID as string, r]));
  const current = await currentLifecycle(store);
  const classes: ClassReport[] = [];
  for (const [name, objects] of byClass) {
    const ruleId = `auditflow-${name}`;
    const rule = expected.get(ruleId);
    const report = summariseClass(name, objects, now, policies.get(name), {
      rule: ruleId,
      state: rule ? lifecycleStateOf(rule, current) : 'missing',
    });
    classes.push(
      objects.length > 0 ? { ...report, oldestEvent: await oldestEventIn(store, objects) } : report,
    );
  }
  const holds = (await loadHolds(store, policyHoldsOf(policy.legalHolds))).filter((h) =>
    holdInPeriod(h, opts.tenant, from, to),
  );
  const sweeps = await sweepsIn(store, segment, from, to, opts.publicKey);
  return {
    generatedAt: new Date(now).toISOString(),
    bucket: store.bucket,
    prefix: store.prefix,
    ...(opts.tenant !== undefined ? { tenant: opts.tenant } : {}),
    period: {
      ...(opts.from ? { from: opts.from.toISOString() } : {}),
      to: new Date(to).toISOString(),
    },
    objectLock: await objectLockOf(store),
    classes,
    legalHolds: holds,
    sweeps,
    totals: {
      objects: states.length,
      events: states.reduce((n, s) => n + s.events, 0),
      deletedInPeriod: sweeps.reduce((n, s) => n + s.objects, 0),
    },
    classesInferred: states.filter((s) => s.inferred).length,
  };
}
