import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * The transactional id of the producer that writes what input partition `partition` becomes.
 * One id per input partition, not per process (Kafka Streams' "exactly_once" before KIP-447):
 * whoever takes the partition initialises this id, and the broker then refuses the previous
 * holder's transactions. kafkajs cannot send the group generation with its offsets (KIP-447),
 * so a per-process id let a frozen instance that thawed after a rebalance commit a batch the
 * new owner had already written (the chaos harness's zombie doubled 3,800 events that way).
 */
export const transactionalIdFor = (groupId: string, topic: string, partition: number): string =>
  `${groupId}-${topic}-${partition}`;

const FENCED_TYPES = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);
const PRODUCER_FENCED_CODE = 90; // newer than kafkajs' error table

/** Whether the broker refused us because another producer holds our transactional id now. */
export function isFenced(err: unknown): boolean {
  for (
    let e = err as { type?: string; code?: number; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if ((e.type && FENCED_TYPES.has(e.type)) || e.code === PRODUCER_FENCED_CODE) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** A producer for one input partition; `fresh` until its first transaction has committed. */
export interface PartitionProducer {
  readonly producer: Producer;
  fresh: boolean;
}

/**
 * The transactional producers of one processor, one per input partition it owns. A producer is
 * created when a batch of its partition first arrives and dropped when the partition is revoked
 * or the producer was fenced, so the next owner (or we, after a rejoin) starts from a new epoch.
 */
export class PartitionProducers {
  private readonly producers = new Map<number, PartitionProducer>();

  constructor(
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly topic: string,
    private readonly logger: Logger,
    private readonly transactionTimeoutMs = 30_000,
  ) {}

  async for(partition: number): Promise<PartitionProducer> {
    const known = this.producers.get(partition);
    if (known) return known;
    const producer = this.kafka.producer({
      transactionalId: transactionalIdFor(this.groupId, this.topic, partition),
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.transactionTimeoutMs,
    });
    await producer.connect();
    const entry: PartitionProducer = { producer, fresh: true };
    this.producers.set(partition, entry);
    return entry;
  }

  /** Forgets a partition's producer (revoked, fenced or broken); closing it is best effort. */
  async drop(partition: number): Promise<void> {
    const entry = this.producers.get(partition);
    if (!entry) return;
    this.producers.delete(partition);
    await entry.producer.disconnect().catch((err: Error) => {
      this.logger.debug({ partition, err: err.message }, 'closing a dropped producer failed');
    });
  }

  /** Keeps only the producers of partitions still assigned to us. */
  async retain(assigned: ReadonlySet<number>): Promise<void> {
    await Promise.all([...this.producers.keys()].filter((p) => !assigned.has(p)).map((p) => this.drop(p)));
  }

  async close(): Promise<void> {
    await Promise.all([...this.producers.keys()].map((p) => this.drop(p)));
  }
}
