import type { AuditEvent } from '@auditflow/schemas';
import type { KafkaMessage } from 'kafkajs';

/** What a transform decides for one event. */
export type TransformOutcome =
  | { readonly kind: 'forward'; readonly event: AuditEvent }
  /** Fail closed: the event goes to the restricted quarantine topic with the reason. */
  | { readonly kind: 'quarantine'; readonly reason: string };

/**
 * A pure event-to-event step (the sanitizer, the enricher, both fused): no I/O, so the stage
 * that runs it decides alone how its output and its input offsets are committed.
 */
export type Transform = (event: AuditEvent) => TransformOutcome;

/**
 * What a stage promises about each input record once its offset is committed:
 * - `exactly-once`: its output is in Kafka once, in the same transaction as the offset;
 * - `effectively-once`: the destination may be written twice but keeps one copy (an idempotent
 *   write: a create by event id, a create-only object key, a delivery id receivers drop);
 * - `at-least-once`: the destination may see it twice.
 * Every guarantee includes: a record that can never be taken is set aside (DLQ or quarantine,
 * with its reason) before its offset moves past it.
 */
export type DeliveryGuarantee = 'exactly-once' | 'effectively-once' | 'at-least-once';

/**
 * When the stage moves its group's offset:
 * - `transaction`: with the output, in one Kafka transaction (read_committed input);
 * - `after-write`: once the destination acknowledged the batch (or the DLQ took its records);
 * - `after-roll`: once a roll of several batches is written (the roll's end promised first in
 *   the commit metadata, so a restart rebuilds the same roll);
 * - `none`: never (a reader that holds its position elsewhere, e.g. a subscriber's cursor).
 */
export type CommitMode = 'transaction' | 'after-write' | 'after-roll' | 'none';

/** One fetched batch of one partition, as the consume loop hands it to a stage. */
export interface StageBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
  /** The partition's high watermark when fetched. */
  readonly highWatermark: number;
  /** Where the batch starts, counting transaction markers and aborted records left out of `messages`. */
  readonly firstOffset: number;
  /** The batch's last offset, markers included. */
  readonly lastOffset: number;
  /** False once the loop stops, the member left the group or the batch went stale (a rebalance). */
  alive(): boolean;
  /** Keeps the group membership during long work. */
  heartbeat(): Promise<void>;
  /** Moves the consumer's own fetch position past `offset` (commits are the stage's business). */
  resolve(offset: string | number): void;
  /** Commits `next` as the group's offset of this partition, with optional metadata. */
  commit(next: number | bigint, metadata?: string | null): Promise<void>;
  /**
   * A retriable failure: this partition alone pauses, and is fetched again from its first
   * unresolved offset after a backoff that doubles per failure. Returns the delay.
   */
  backOff(): number;
  /** The partition's work went through: its next failure starts the backoff over. */
  succeeded(): void;
}

/**
 * A stage the consume loop drives: a processor (transform + transactional output) or a sink
 * (a destination outside Kafka). It declares what it guarantees and how it commits, so a
 * reader of `main.ts` (and the start-up log) sees it without reading the stage.
 */
export interface Stage {
  /** Names the stage in logs, metrics and DLQ records. */
  readonly name: string;
  readonly guarantee: DeliveryGuarantee;
  readonly commitMode: CommitMode;
  /**
   * Handles one batch. Throwing means "retry this batch" (kafkajs fetches it again); a stage
   * that would rather keep other partitions going calls `batch.backOff()` and returns.
   */
  handleBatch(batch: StageBatch): Promise<void>;
  /** The partitions this member owns after a (re)join of the group. */
  onAssignment?(partitions: ReadonlySet<number>): void;
  /**
   * Called once a stop is asked, after batches in flight ended (or their grace ran out) and
   * before the group is left: the place to write and commit what the stage holds (open rolls).
   */
  drain?(): Promise<void>;
  /** A stop's grace for the batch in flight ran out: abandon what it waits on. */
  abandon?(): void;
}

/** A sink: a stage that writes a batch to a destination outside Kafka. */
export interface Sink extends Stage {
  readonly commitMode: 'after-write' | 'after-roll' | 'none';
}
