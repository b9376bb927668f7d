import { createHash } from 'node:crypto';

/**
 * Where things live in the archive bucket. Data objects are partitioned the way auditors ask
 * for them (tenant, then UTC date and hour of the events) and name the Kafka range they hold,
 * so a key is a pure function of the events in it: writing the same range twice yields the
 * same key, which is what makes a crash and restart unable to duplicate an object (SPEC A1).
 *
 *   tenant=<t>/date=YYYY-MM-DD/hour=HH/<topic>+<partition>+<first>-<last>.ndjson.gz
 *
 * <t> is the tenant id with every byte outside [A-Za-z0-9._-] percent-encoded (UTF-8), or, when
 * that is longer than 128 bytes or empty, `~` and the SHA-256 (hex) of the id (`~` is always
 * escaped in the first form, so the two never collide). The hour comes from the event's routing
 * time (its own time inside the window around receipt, the receipt time otherwise), so every
 * key is at most a few hundred bytes and names only validated values.
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

/** S3's limit on a whole key (the store's folder prefix included). */
export const MAX_KEY_BYTES = 1024;
/** Longest escaped tenant segment kept readable; longer ones are hashed. */
export const MAX_TENANT_SEGMENT_BYTES = 128;

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

const UNRESERVED = /^[A-Za-z0-9._-]$/;
const HASHED = /^~[0-9a-f]{64}$/;

/** Percent-encodes every UTF-8 byte outside [A-Za-z0-9._-] (lone surrogates as U+FFFD). */
function escapeSegment(text: string): string {
  let out = '';
  for (const char of text) {
    if (UNRESERVED.test(char)) out += char;
    else
      for (const byte of Buffer.from(char, 'utf8'))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The key segment of a tenant id: readable when short, hashed when escaping makes it long.
 * Tenant ids are client input (control characters, `/`, `..`, 128 CJK characters): nothing of
 * them reaches a key unescaped.
 */
export function tenantSegment(tenant: string): string {
  const escaped = escapeSegment(tenant);
  if (escaped.length > 0 && escaped.length <= MAX_TENANT_SEGMENT_BYTES) return escaped;
  return `~${createHash('sha256').update(tenant, 'utf8').digest('hex')}`;
}

/** The tenant id a segment names, or the segment itself for a hashed one (not reversible). */
export function tenantOfSegment(segment: string): string {
  if (HASHED.test(segment)) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Latest hour a date in a key can name (9999-12-31T23:00Z). */
const MAX_HOUR = 253_402_297_200_000;

function hourPrefixOfSegment(segment: string, hour: number): string {
  if (!(hour >= 0 && hour <= MAX_HOUR)) throw new RangeError(`hour ${hour} cannot name an archive prefix`);
  const iso = new Date(hour).toISOString();
  return `tenant=${segment}/date=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`;
}

export function hourPrefix(tenant: string, hour: number): string {
  return hourPrefixOfSegment(tenantSegment(tenant), hour);
}

/** Why a full key (store prefix included) cannot be written, or undefined when it can. */
export function objectKeyProblem(fullKey: string): string | undefined {
  const bytes = Buffer.byteLength(fullKey, 'utf8');
  if (bytes > MAX_KEY_BYTES) return `key is ${bytes} bytes, over S3's ${MAX_KEY_BYTES}`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  if (/[\u0000-\u001f\u007f]/.test(fullKey)) return 'key contains control characters';
  if (fullKey.split('/').some((part) => part === '.' || part === '..')) return 'key has a . or .. segment';
  return undefined;
}

export function objectKey(at: ObjectLocation): string {
  return `${hourPrefix(at.tenant, at.hour)}${at.topic}+${at.partition}+${padOffset(at.firstOffset)}-${padOffset(at.lastOffset)}${DATA_SUFFIX}`;
}

const KEY_PATTERN =
  /^tenant=([^/]+)\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/([^+/]+)\+(\d+)\+(\d{20})-(\d{20})\.ndjson\.gz$/;

/** A parsed data key: its location, and the tenant segment as written (hashed ones stay so). */
export interface ParsedLocation extends ObjectLocation {
  readonly segment: string;
}

/** The location a data key names, or undefined for anything else in the bucket. */
export function parseObjectKey(key: string): ParsedLocation | undefined {
  const m = KEY_PATTERN.exec(key);
  if (!m) return undefined;
  const [, segment, date, hour, topic, partition, first, last] = m as unknown as string[];
  return {
    tenant: tenantOfSegment(segment as string),
    segment: segment as string,
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
  return segmentHourPrefixes(tenants.map(tenantSegment), from, to);
}

/** As `hourPrefixes`, for tenant segments as listed from the bucket. */
export function segmentHourPrefixes(segments: readonly string[], from: number, to: number): string[] {
  const prefixes: string[] = [];
  const first = Math.max(hourOf(from), 0);
  const last = Math.min(to, MAX_HOUR);
  for (const segment of segments) {
    for (let hour = first; hour <= last; hour += HOUR) prefixes.push(hourPrefixOfSegment(segment, hour));
  }
  return prefixes;
}

/** Whether a data key lies in [from, to] by its hour (an hour overlapping the range counts). */
export function keyInRange(location: ObjectLocation, from: number, to: number): boolean {
  return location.hour + HOUR > from && location.hour <= to;
}
