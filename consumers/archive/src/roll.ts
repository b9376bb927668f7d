import { receivedAtOf, routingTime } from '@auditflow/kafka';
import { type AuditEvent, DEFAULT_OCCURRED_AT_WINDOW, type OccurredAtWindow } from '@auditflow/schemas';
import type { KafkaMessage } from 'kafkajs';
import { hourOf, type ObjectLocation, objectKey } from './keys.ts';

/** One archived record: its Kafka position and the NDJSON line of its JSON form. */
export interface RollRecord {
  readonly offset: string;
  /** Kafka record time (ms): rolls and digests are timed by it, not by the clock. */
  readonly timestamp: number;
  /** The event id: a second record of the same event in one roll is a redelivery. */
  readonly id?: string;
  readonly tenant: string;
  /** When it is filed (see `routingTime`): `occurred_at` inside the window, else the receipt. */
  readonly filedAt: number;
  /** Start of the UTC hour of the receipt: where the record goes past the prefix cap. */
  readonly receiptHour?: number;
  /** The enricher's retention class and its days. */
  readonly retentionClass: string;
  readonly retentionDays: number;
  readonly line: string;
  /** The Kafka record it came from: what the DLQ gets should the store refuse its object. */
  readonly source?: KafkaMessage;
}

/** A record that cannot be archived as it is, and which rule it breaks (to the DLQ). */
export class InvalidRecordError extends Error {
  override readonly name = 'InvalidRecordError';
  readonly retriable = false;
  readonly reason = 'invalid_value';
}

/** S3 tag values: what the class tag can carry (retention classes are names like `extended`). */
const RETENTION_CLASS = /^[A-Za-z0-9_.:=+@/-]{1,128}$/;
/** Longest retention the archive will lock an object for: 100 years. */
export const MAX_RETENTION_DAYS = 36_500;

/**
 * The roll record of an event, from validated values only: a retention class or period the
 * store could not take is refused here (the event goes to the DLQ), never at upload.
 */
export function rollRecord(
  offset: string,
  timestamp: number,
  event: AuditEvent,
  line: string,
  defaults: { readonly retentionClass: string; readonly days: number },
  window: OccurredAtWindow = DEFAULT_OCCURRED_AT_WINDOW,
) {
  const retentionClass = event.enrichment?.retention_class ?? defaults.retentionClass;
  const retentionDays = event.enrichment?.retention_days ?? defaults.days;
  if (!RETENTION_CLASS.test(retentionClass)) {
    throw new InvalidRecordError(
      'enrichment.retention_class: must be 1-128 characters of letters, digits and _ . : = + @ / -',
    );
  }
  if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > MAX_RETENTION_DAYS) {
    throw new InvalidRecordError(
      `enrichment.retention_days: must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}`,
    );
  }
  const routed = routingTime(
    { occurredAt: event.occurred_at, receivedAt: receivedAtOf(event), recordTimestamp: timestamp },
    window,
  );
  return {
    offset,
    timestamp,
    id: event.id,
    tenant: event.tenant_id,
    filedAt: routed.at,
    receiptHour: hourOf(routed.receipt),
    retentionClass,
    retentionDays,
    line,
  } satisfies RollRecord;
}

export interface LegalHold {
  readonly id: string;
  readonly tenant: string;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

export const holdCovers = (hold: LegalHold, tenant: string, at: number): boolean =>
  hold.tenant === tenant && Date.parse(hold.from) <= at && at <= Date.parse(hold.to);

export interface PlannedObject {
  readonly key: string;
  readonly location: ObjectLocation;
  /** NDJSON, one event per line, in offset order. */
  readonly body: string;
  /** The records in it (the DLQ takes them if the store refuses the object for good). */
  readonly records: readonly RollRecord[];
  readonly events: number;
  /** The latest date any event in it must be kept until (ms), and the class that sets it. */
  readonly retainUntil: number;
  readonly retentionClass: string;
  readonly legalHold: boolean;
}

const DAY = 86_400_000;

/** Most tenant/hour prefixes one roll opens before further hours go to the receipt hour. */
export const DEFAULT_MAX_PREFIXES_PER_ROLL = 256;

/**
 * Splits one roll of a partition into its objects, one per tenant and UTC hour of the events'
 * routing time, without second copies of an event. Beyond `maxPrefixes` groups, a record joins its tenant's receipt-hour object
 * instead of opening another hour. Pure and deterministic: the same records always give the
 * same keys and bodies (a restart rebuilds the same roll).
 */
export function planRoll(
  topic: string,
  partition: number,
  records: readonly RollRecord[],
  holds: readonly LegalHold[],
  maxPrefixes = DEFAULT_MAX_PREFIXES_PER_ROLL,
): PlannedObject[] {
  const first = records[0];
  const last = records[records.length - 1];
  if (!first || !last) return [];
  const groups = new Map<string, { hour: number; records: RollRecord[] }>();
  const seen = new Set<string>();
  for (const record of records) {
    // A producer retry can put the same event on the topic twice, usually side by side: the
    // roll keeps its first copy (only the roll's own records decide, so a rebuilt roll is the
    // same). Per tenant: another tenant's event that reuses the id (an id collision) is a
    // different event and is archived too.
    if (record.id !== undefined) {
      const identity = `${record.tenant}\u0000${record.id}`;
      if (seen.has(identity)) continue;
      seen.add(identity);
    }
    let hour = hourOf(record.filedAt);
    let group = `${record.tenant}\u0000${hour}`;
    if (!groups.has(group) && groups.size >= maxPrefixes && record.receiptHour !== undefined) {
      hour = record.receiptHour;
      group = `${record.tenant}\u0000${hour}`;
    }
    const entry = groups.get(group);
    if (entry) entry.records.push(record);
    else groups.set(group, { hour, records: [record] });
  }
  const objects: PlannedObject[] = [];
  for (const { hour, records: list } of groups.values()) {
    const head = list[0] as RollRecord;
    const location: ObjectLocation = {
      tenant: head.tenant,
      hour,
      topic,
      partition,
      firstOffset: first.offset,
      lastOffset: last.offset,
    };
    let retainUntil = 0;
    let retentionClass = head.retentionClass;
    let legalHold = false;
    let body = '';
    for (const record of list) {
      const until = record.filedAt + record.retentionDays * DAY;
      if (until > retainUntil) {
        retainUntil = until;
        retentionClass = record.retentionClass;
      }
      legalHold ||= holds.some((h) => holdCovers(h, record.tenant, record.filedAt));
      body += `${record.line}\n`;
    }
    objects.push({
      key: objectKey(location),
      location,
      body,
      records: list,
      events: list.length,
      retainUntil,
      retentionClass,
      legalHold,
    });
  }
  return objects.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * When a partition's open roll must be written: it reached the size limit, its records span
 * the roll period, it has waited that long on the clock (a quiet partition still flushes), or
 * it reached the end of a roll a previous run started and did not finish (`boundary`).
 */
export interface RollLimits {
  readonly maxBytes: number;
  readonly maxAgeMs: number;
}

export interface OpenRoll {
  readonly records: RollRecord[];
  bytes: number;
  /** Clock time the first record was buffered. */
  openedAt: number;
}

export function rollIsDue(roll: OpenRoll, limits: RollLimits, now: number): boolean {
  const first = roll.records[0];
  const last = roll.records[roll.records.length - 1];
  if (!first || !last) return false;
  return (
    roll.bytes >= limits.maxBytes ||
    last.timestamp - first.timestamp >= limits.maxAgeMs ||
    now - roll.openedAt >= limits.maxAgeMs
  );
}
