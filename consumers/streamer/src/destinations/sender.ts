import { retriableStatus } from '@auditflow/kafka';
import type { AuditEventJson } from '@auditflow/schemas';

/** One batch for a destination: each event already rendered in its wire form, and a stable delivery id. */
export interface Delivery {
  readonly id: string;
  /** `render()` of each event, in offset order. */
  readonly items: readonly string[];
}

/** Delivers a batch; resolves only once the destination took all of it (the offset commit waits on it). */
export interface Sender {
  /**
   * The wire form of one event (a JSON/OCSF object, an RFC 5424 message). Throws when the
   * destination's format cannot render this event: a permanent failure of that record alone.
   */
  render(event: AuditEventJson, json: string): string;
  /** `signal` aborts a request in flight when the runner stops. */
  send(delivery: Delivery, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/**
 * Webhook answers that are about the request's content, not the receiver: the same batch
 * will be refused again, so retrying it would hold the destination forever. 400 Bad Request,
 * 409 Conflict, 413 Content Too Large and 422 Unprocessable Content. Every other 4xx (401,
 * 403, 404, 405, 407, 410, 415 …) speaks about the destination as a whole (credentials, URL,
 * configuration), which no event fixes: dead-lettering on it would empty the stream into the
 * DLQ, so those hold the position and retry like 408, 429 and 5xx.
 */
export const PERMANENT_STATUSES: ReadonlySet<number> = new Set([400, 409, 413, 422]);

export const isPermanentStatus = (status: number): boolean =>
  PERMANENT_STATUSES.has(status) && !retriableStatus(status);

/**
 * A delivery that did not go through; the message never holds a secret. `retriable` false means
 * the receiver refused the content itself (see PERMANENT_STATUSES): the runner narrows the batch
 * down to the events it refuses and dead-letters those, instead of retrying.
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  readonly retriable: boolean;
  readonly reason: string;
  constructor(
    message: string,
    readonly status?: number,
    /** From a `Retry-After` answer (429/503), in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.retriable = status === undefined || !isPermanentStatus(status);
    this.reason = status === undefined ? 'delivery_failed' : `http_${status}`;
  }
}
