/**
 * Where things live in the archive bucket. Data objects are partitioned the way auditors ask
 * for them (tenant, then UTC date and hour of the events) and name the Kafka range they hold,
 * so a key is a pure function of the events in it: writing the same range twice yields the
 * same key, which is what makes a crash and restart unable to duplicate an object (SPEC A1).
 *
 *   tenant=<t>/date=YYYY-MM-DD/hour=HH/<topic>+<partition>+<first>-<last>.ndjson.gz
 *   _digests/<topic>/<partition>/<first>-<last>.json           signed digest per roll (A3)
 *   _digests/keys/<keyId>.pem                                   public keys of the signers
 *   _control/holds/<id>.json                                    legal holds (A2)
 *   _control/deletions/<time>-<n>.json                          signed records of swept objects
 */

export const DATA_SUFFIX = '.ndjson.gz';
export const DIGEST_PREFIX = '_digests/';
export const KEYS_PREFIX = '_digests/keys/';
export const HOLDS_PREFIX = '_control/holds/';
export const DELETIONS_PREFIX = '_control/deletions/';

/** Offsets are zero-padded so that keys sort in offset order. */
export const padOffset = (offset: string | bigint): string => String(offset).padStart(20, '0');

export interface ObjectLocation {
  readonly tenant: string;
  /** Start of the UTC hour of the events in the object, in ms. */
  readonly hour: number;
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: string;
  readonly lastOffset: string;
}

const HOUR = 3_600_000;
export const hourOf = (ms: number): number => Math.floor(ms / HOUR) * HOUR;

/** Tenant ids are free text; escape what would change the key's shape. */
const escapeTenant = (tenant: string): string => encodeURIComponent(tenant);

export function hourPrefix(tenant: string, hour: number): string {
  const iso = new Date(hour).toISOString();
  return `tenant=${escapeTenant(tenant)}/date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`;
}

export function objectKey(at: ObjectLocation): string {
  return `${hourPrefix(at.tenant, at.hour)}${at.topic}+${at.partition}+${padOffset(at.firstOffset)}-${padOffset(at.lastOffset)}${DATA_SUFFIX}`;
}

const KEY_PATTERN =
  /^tenant=([^/]+)\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/([^+/]+)\+(\d+)\+(\d{20})-(\d{20})\.ndjson\.gz$/;

/** The location a data key names, or undefined for anything else in the bucket. */
export function parseObjectKey(key: string): ObjectLocation | undefined {
  const m = KEY_PATTERN.exec(key);
  if (!m) return undefined;
  const [, tenant, date, hour, topic, partition, first, last] = m as unknown as string[];
  return {
    tenant: decodeURIComponent(tenant as string),
    hour: Date.parse(`${date}T${hour}:00:00Z`),
    topic: topic as string,
    partition: Number(partition),
    firstOffset: BigInt(first as string).toString(),
    lastOffset: BigInt(last as string).toString(),
  };
}

export function digestKey(topic: string, partition: number, firstOffset: string, lastOffset: string): string {
  return `${DIGEST_PREFIX}${topic}/${partition}/${padOffset(firstOffset)}-${padOffset(lastOffset)}.json`;
}

export const chainPrefix = (topic: string, partition: number): string =>
  `${DIGEST_PREFIX}${topic}/${partition}/`;

/**
 * The hour prefixes that may hold events of `tenants` between `from` and `to` (inclusive):
 * listing only these keeps verify, replay and reconcile proportional to the range asked for.
 */
export function hourPrefixes(tenants: readonly string[], from: number, to: number): string[] {
  const prefixes: string[] = [];
  for (const tenant of tenants) {
    for (let hour = hourOf(from); hour <= to; hour += HOUR) prefixes.push(hourPrefix(tenant, hour));
  }
  return prefixes;
}

/** Whether a data key lies in [from, to] by its hour (an hour overlapping the range counts). */
export function keyInRange(location: ObjectLocation, from: number, to: number): boolean {
  return location.hour + HOUR > from && location.hour <= to;
}
