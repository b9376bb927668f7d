/**
 * Which time a downstream stage files an event under (issue 14 item 2): the time it happened
 * when that is plausible, its receipt time otherwise. The event's own `occurred_at` is client
 * input; a far-future or ancient value must not create an index or an archive prefix for it.
 * Pure and a function of the record alone, so a redelivered record is filed where its first
 * copy was.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface TimeWindow {
  /** How far after its receipt an event may say it happened (clock skew). */
  readonly aheadMs: number;
  /** How far before its receipt an event may say it happened (buffered, late clients). */
  readonly backMs: number;
}

/** The contract's default window: 24 h ahead, 30 days back. */
export const DEFAULT_TIME_WINDOW: TimeWindow = { aheadMs: DAY, backMs: 30 * DAY };

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
export function routingTime(input: RoutingInput, window: TimeWindow = DEFAULT_TIME_WINDOW): RoutingTime {
  const recordTime = finite(input.recordTimestamp) ? input.recordTimestamp : 0;
  const receipt =
    finite(input.receivedAt) && input.receivedAt <= recordTime + window.aheadMs
      ? input.receivedAt
      : recordTime;
  const occurred = input.occurredAt;
  if (finite(occurred) && occurred <= receipt + window.aheadMs && occurred >= receipt - window.backMs) {
    return { at: occurred, receipt, basis: 'occurred' };
  }
  return { at: receipt, receipt, basis: 'receipt' };
}

/** The `ingest.received_at` of an event, whether or not its schema has the field yet. */
export function receivedAtOf(event: object): number | null {
  const ingest = (event as { ingest?: { received_at?: unknown } | null }).ingest;
  const at = ingest?.received_at;
  return typeof at === 'number' ? at : null;
}
