import { setTimeout as sleep } from 'node:timers/promises';
import { onConsumerCrash, PartitionBackoff } from '@auditflow/kafka';
import type { ProgressReporter } from '@auditflow/service';
import type { Admin, Consumer, ConsumerConfig, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Stage, StageBatch } from './contracts.ts';

export interface ConsumeLoopOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly groupId: string;
  readonly logger: Logger;
  /** Fetch sizes, isolation, session: kafkajs' consumer settings other than the group. */
  readonly consumer?: Omit<ConsumerConfig, 'groupId'>;
  /** A group with no commit yet starts at the log start (default) or its end. */
  readonly fromBeginning?: boolean;
  /** Partitions handled at once (default 1). */
  readonly partitionsConcurrently?: number;
  /** Backoff of a partition whose batch hit a retriable failure (default 200 ms .. 10 s). */
  readonly backoff?: { readonly minMs: number; readonly maxMs: number };
  /** How long a stop waits for the batches in flight before it asks the stage to abandon them (30 s). */
  readonly stopGraceMs?: number;
  /** Offsets to start from once running (readers that keep their position outside the group). */
  readonly startAt?: ReadonlyMap<number, number>;
  /**
   * After every fetched batch, including batches of only transaction markers, which never
   * reach the stage: `next` is the partition's position past the batch.
   */
  readonly onBatchEnd?: (partition: number, next: number) => void;
  /** kafkajs gave up on the consumer for good: services exit and their supervisor restarts them. */
  readonly onFatal?: (err: Error) => void;
  /**
   * Told each partition's input waiting (at each batch) and progress (each resolved offset), so
   * the health server can call a stage that has input and does not move stalled.
   */
  readonly progress?: ProgressReporter;
}

/** The group's committed offset of one partition and its metadata; offset -1 when none. */
export interface Committed {
  readonly offset: number;
  readonly metadata: string | null;
}

const DEFAULT_STOP_GRACE_MS = 30_000;

/**
 * The one consume loop every processor and consumer plugs into (issue 16): a kafkajs consumer
 * in a group, subscribed to one topic, handing each fetched batch of each partition to a
 * {@link Stage}. It owns what every stage needs around its batches and used to write itself:
 * manual commits (never kafkajs' autocommit), the partition backoff for retriable failures,
 * the crash hook, assignment changes, the committed offsets and their metadata, and a stop that
 * lets the batches in flight finish (or abandons them after a grace), lets the stage drain what
 * it holds and commit it, and only then leaves the group: kafkajs drops commits once its
 * runner is stopping, so the order matters.
 */
export class ConsumeLoop {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private adminConnecting: Promise<void> | undefined;
  private readonly backoff: PartitionBackoff;
  private readonly inFlight = new Set<Promise<void>>();
  private stage: Stage | undefined;
  private stopping = false;
  private runningNow = false;
  private assignedCount = 0;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: ConsumeLoopOptions) {
    this.backoff = new PartitionBackoff(options.backoff?.minMs ?? 200, options.backoff?.maxMs ?? 10_000);
  }

  /** Consuming, and kafkajs has not given up. */
  get running(): boolean {
    return this.runningNow;
  }

  /** Partitions this member owns since the last join. */
  get assigned(): number {
    return this.assignedCount;
  }

  async start(stage: Stage): Promise<void> {
    const { kafka, topic, groupId, logger } = this.options;
    this.stage = stage;
    const consumer = kafka.consumer({ ...this.options.consumer, groupId });
    this.consumer = consumer;
    const owned = new Set<number>();
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const now = new Set(payload.memberAssignment[topic] ?? []);
      for (const partition of owned) if (!now.has(partition)) this.options.progress?.forget(partition);
      owned.clear();
      for (const partition of now) owned.add(partition);
      this.assignedCount = now.size;
      stage.onAssignment?.(now);
    });
    const onBatchEnd = this.options.onBatchEnd;
    if (onBatchEnd) {
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.topic === topic) onBatchEnd(payload.partition, Number(payload.lastOffset) + 1);
      });
    }
    onConsumerCrash(consumer, logger, (err) => {
      this.runningNow = false;
      this.options.onFatal?.(err);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
    this.runningNow = true;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 1,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    for (const [partition, offset] of this.options.startAt ?? []) this.seek(partition, offset);
    logger.info(
      { stage: stage.name, topic, group: groupId, guarantee: stage.guarantee, commit: stage.commitMode },
      'stage consuming',
    );
  }

  private eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0 || this.stopping || !payload.isRunning() || payload.isStale()) {
      return Promise.resolve();
    }
    const { partition, topic } = batch;
    const highWatermark = Number(batch.highWatermark);
    const firstOffset = Number(batch.firstOffset() ?? batch.messages[0]?.offset);
    const progress = this.options.progress;
    progress?.input(partition, Math.max(0, highWatermark - firstOffset));
    let resolved = firstOffset - 1;
    const stageBatch: StageBatch = {
      topic,
      partition,
      messages: batch.messages,
      highWatermark,
      firstOffset,
      lastOffset: Number(batch.lastOffset()),
      alive: () => !this.stopping && payload.isRunning() && !payload.isStale(),
      heartbeat: payload.heartbeat,
      resolve: (offset) => {
        payload.resolveOffset(String(offset));
        const at = Number(offset);
        if (at <= resolved) return;
        progress?.progress(partition, at - resolved);
        progress?.input(partition, Math.max(0, highWatermark - at - 1));
        resolved = at;
      },
      commit: (next, metadata) => this.commit(partition, next, metadata),
      backOff: () => this.backoff.pause(partition, payload.pause),
      succeeded: () => this.backoff.succeeded(partition),
    };
    const handled = (this.stage as Stage).handleBatch(stageBatch);
    const tracked = handled.catch(() => {});
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return handled;
  }

  /** Commits `next` as the group's offset of `partition` (with metadata, e.g. a roll's intent). */
  async commit(partition: number, next: number | bigint, metadata?: string | null): Promise<void> {
    await (this.consumer as Consumer).commitOffsets([
      {
        topic: this.options.topic,
        partition,
        offset: String(next),
        ...(metadata !== undefined ? { metadata } : {}),
      },
    ]);
  }

  /** Moves the fetch position of an owned partition (the stage's own reads or a restart point). */
  seek(partition: number, offset: number | bigint): void {
    this.consumer?.seek({ topic: this.options.topic, partition, offset: String(offset) });
  }

  /**
   * Pauses a partition outside a batch (work a timer started failed) and resumes it after the
   * same backoff a failing batch gets.
   */
  backOff(partition: number): number {
    const consumer = this.consumer as Consumer;
    const topics = [{ topic: this.options.topic, partitions: [partition] }];
    return this.backoff.pause(partition, () => {
      consumer.pause(topics);
      return () => consumer.resume(topics);
    });
  }

  /** Stops fetching these partitions until the loop stops (a reader that has what it needs). */
  pause(partitions: readonly number[]): void {
    this.consumer?.pause([{ topic: this.options.topic, partitions: [...partitions] }]);
  }

  /** Whether a partition is paused, waiting out its backoff. */
  waiting(partition: number): boolean {
    return this.backoff.waiting(partition);
  }

  /** The group's committed offset and metadata for one partition (read through an admin client). */
  async committed(partition: number): Promise<Committed> {
    const admin = await this.connectedAdmin();
    const [topic] = await admin.fetchOffsets({ groupId: this.options.groupId, topics: [this.options.topic] });
    const found = topic?.partitions.find((p) => p.partition === partition);
    return { offset: found ? Number(found.offset) : -1, metadata: found?.metadata ?? null };
  }

  /** The partition's first offset still in the log (retention may have deleted older ones). */
  async logStart(partition: number): Promise<number> {
    const admin = await this.connectedAdmin();
    const offsets = await admin.fetchTopicOffsets(this.options.topic);
    return Number(offsets.find((p) => p.partition === partition)?.low ?? 0);
  }

  private async connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      this.admin = this.options.kafka.admin();
      this.adminConnecting = this.admin.connect();
    }
    const admin = this.admin;
    try {
      await this.adminConnecting;
    } catch (err) {
      // A connect that failed (the broker was away) is not kept: the next call tries again.
      if (this.admin === admin) this.admin = undefined;
      throw err;
    }
    return admin;
  }

  /**
   * Graceful stop: no new batch starts; the batches in flight finish (after the grace the stage
   * is asked to abandon them, and they are awaited once more); the stage drains what it holds;
   * then the group is left. Calling it again waits for the same stop.
   */
  stop(): Promise<void> {
    this.stopped ??= this.stopOnce();
    return this.stopped;
  }

  private async stopOnce(): Promise<void> {
    this.stopping = true;
    this.runningNow = false;
    this.backoff.stop();
    const grace = this.options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    const inFlight = Promise.all([...this.inFlight]);
    const finished = await Promise.race([inFlight.then(() => true), sleep(grace, false, { ref: false })]);
    if (!finished) {
      this.options.logger.warn(
        { grace_ms: grace, stage: this.stage?.name },
        'stopping: abandoning the batch in flight',
      );
      this.stage?.abandon?.();
      await inFlight;
    }
    await this.stage?.drain?.();
    await this.consumer?.disconnect();
    if (this.admin) {
      await this.adminConnecting?.catch(() => {});
      await this.admin.disconnect();
    }
  }
}
