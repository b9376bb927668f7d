import type { AuditEvent } from '@auditflow/schemas';
import { hourOf, type ObjectLocation, objectKey } from './keys.ts';

/** One archived record: its Kafka position and the NDJSON line of its JSON form. */
export interface RollRecord {
  readonly offset: string;
  /** Kafka record time (ms): rolls and digests are timed by it, not by the clock. */
  readonly timestamp: number;
  readonly tenant: string;
  readonly occurredAt: number;
  /** The enricher's retention class and its days. */
  readonly retentionClass: string;
  readonly retentionDays: number;
  readonly line: string;
}

export function rollRecord(
  offset: string,
  timestamp: number,
  event: AuditEvent,
  line: string,
  defaults: { readonly retentionClass: string; readonly days: number },
) {
  return {
    offset,
    timestamp,
    tenant: event.tenant_id,
    occurredAt: event.occurred_at,
    retentionClass: event.enrichment?.retention_class ?? defaults.retentionClass,
    retentionDays: event.enrichment?.retention_days ?? defaults.days,
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
  readonly events: number;
  /** The latest date any event in it must be kept until (ms), and the class that sets it. */
  readonly retainUntil: number;
  readonly retentionClass: string;
  readonly legalHold: boolean;
}

const DAY = 86_400_000;

/**
 * Splits one roll of a partition into its objects, one per tenant and UTC hour of the events.
 * Pure and deterministic: the same records always give the same keys and bodies.
 */
export function planRoll(
  topic: string,
  partition: number,
  records: readonly RollRecord[],
  holds: readonly LegalHold[],
): PlannedObject[] {
  const first = records[0];
  const last = records[records.length - 1];
  if (!first || !last) return [];
  const groups = new Map<string, RollRecord[]>();
  for (const record of records) {
    const group = `${record.tenant}\u0000${hourOf(record.occurredAt)}`;
    const list = groups.get(group);
    if (list) list.push(record);
    else groups.set(group, [record]);
  }
  const objects: PlannedObject[] = [];
  for (const list of groups.values()) {
    const head = list[0] as RollRecord;
    const location: ObjectLocation = {
      tenant: head.tenant,
      hour: hourOf(head.occurredAt),
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
      const until = record.occurredAt + record.retentionDays * DAY;
      if (until > retainUntil) {
        retainUntil = until;
        retentionClass = record.retentionClass;
      }
      legalHold ||= holds.some((h) => holdCovers(h, record.tenant, record.occurredAt));
      body += `${record.line}\n`;
    }
    objects.push({
      key: objectKey(location),
      location,
      body,
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
