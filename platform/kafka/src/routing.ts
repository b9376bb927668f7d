/**
 * Which time a downstream stage files an event under (issue 14 item 2): the time it happened
 * when that is plausible, its receipt time otherwise. The event's own `occurred_at` is client
 * input; a far-future or ancient value must not create an index or an archive prefix for it.
 * Pure and a function of the record alone, so a redelivered record is filed where its first
 * copy was.
 */

import { type AuditEvent, DEFAULT_OCCURRED_AT_WINDOW, type OccurredAtWindow } from '@auditflow/schemas';

/** Latest instant every store can name: 9999-12-31T23:59:59.999Z. */
const MAX_DATE_MS = 253_402_300_799_999;

const finite = (ms: number | null | undefined): ms is number =>
  typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 && ms <= MAX_DATE_MS;

export interface RoutingInput {
  readonly occurredAt: number;
  /** `ingest.received_at` (null on events older than the ingest stamp). */
  readonly receivedAt: number | null | undefined;
  /** The Kafka record's timestamp: what the broker or the writing stage saw. */
  readonly recordTimestamp: number;
}

export interface RoutingTime {
  /** The time to file under. */
  readonly at: number;
  /** The receipt time the window was measured from. */
  readonly receipt: number;
  /** `occurred` when `occurred_at` was inside the window, `receipt` when it was not. */
  readonly basis: 'occurred' | 'receipt';
}

/**
 * The receipt is `ingest.received_at` when it is a sane time no later than the record itself
 * (plus the window's skew), else the record's timestamp: a forged receipt in the future is not
 * believed. `occurred_at` is used when it lies in [receipt - back, receipt + ahead].
 */
/**
 * The window is the contract's (`AUDITFLOW_OCCURRED_AT_MAX_AHEAD` / `_MAX_BEHIND`, default 24 h
 * ahead, 30 days behind): what the gateway refuses at the door is filed by receipt downstream.
 */
export function routingTime(
  input: RoutingInput,
  window: OccurredAtWindow = DEFAULT_OCCURRED_AT_WINDOW,
): RoutingTime {
  const recordTime = finite(input.recordTimestamp) ? input.recordTimestamp : 0;
  const receipt =
    finite(input.receivedAt) && input.receivedAt <= recordTime + window.aheadMs
      ? input.receivedAt
      : recordTime;
  const occurred = input.occurredAt;
  if (finite(occurred) && occurred <= receipt + window.aheadMs && occurred >= receipt - window.behindMs) {
    return { at: occurred, receipt, basis: 'occurred' };
  }
  return { at: receipt, receipt, basis: 'receipt' };
}

/** The `ingest.received_at` of an event (null on events written before the ingest stamp). */
export const receivedAtOf = (event: AuditEvent): number | null => event.ingest?.received_at ?? null;
