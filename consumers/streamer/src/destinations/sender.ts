import type { AuditEventJson } from '@auditflow/schemas';

/** One batch for a destination: the events, their JSON form as read, and a stable delivery id. */
export interface Delivery {
  readonly id: string;
  readonly events: readonly AuditEventJson[];
  /** `JSON.stringify` of each event, already made by the reader. */
  readonly jsons: readonly string[];
}

/** Delivers a batch; resolves only once the destination took all of it (the offset commit waits on it). */
export interface Sender {
  send(delivery: Delivery): Promise<void>;
  close(): Promise<void>;
}

/** A delivery that did not go through; the message never holds a secret. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}
