import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DecodeError,
  deadLetter,
  kafkaWithLogger,
  PIPELINE_COMPRESSION,
  RegistryUnavailableError,
  resendKey,
  StableOffsetReader,
  StableOffsetsUnsupportedError,
  WireCodec,
} from '@auditflow/kafka';
import { type AuditEvent, HEADERS } from '@auditflow/schemas';
import type { ProgressReporter } from '@auditflow/service';
import { ConsumeLoop, type Stage, type StageBatch, type Transform } from '@auditflow/stage';
import type { Kafka, KafkaMessage, Message, Transaction } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { PartitionWindows } from './dedup.ts';
import { isFenced, PartitionProducers } from './partition-producers.ts';

export interface ProcessorConfig {
  readonly name: string;
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  readonly groupId: string;
  readonly inputTopic: string;
  readonly outputTopic: string;
  readonly dlqTopic: string;
  readonly quarantineTopic: string;
  /** Names this instance in logs (transactions are fenced per input partition, not per instance). */
  readonly instanceId?: string;
  readonly maxMessageBytes?: number;
  /** A transform that throws: quarantine (sanitizer: fail closed) or dlq. */
  readonly onTransformError: 'quarantine' | 'dlq';
  /**
   * A record that does not decode: dlq (default) or quarantine. The sanitizer quarantines: its
   * input is unsanitised, and the DLQ, which analysts may read, must not hold raw bytes (S4).
   */
  readonly onDecodeError?: 'quarantine' | 'dlq';
  /**
   * Drop producer resends (the stage that reads raw: the sanitizer): a record whose tenant,
   * producer id, sequence and event id match one of the last `windowPerPartition` records of
   * its input partition is counted as `duplicate` and not output. See dedup.ts.
   */
  readonly dedupeResends?: { readonly windowPerPartition: number };
  /** Input partitions processed at once, each in its own transaction (default 6). */
  readonly partitionsConcurrently?: number;
  /** How much a fetch gathers before the broker answers (default 64 KiB or 100 ms). */
  readonly fetch?: { readonly minBytes: number; readonly maxWaitMs: number };
}

export interface ProcessorDeps {
  readonly logger: Logger;
  readonly registry: Registry;
  /** Called when the consumer stopped for good; services exit so a supervisor restarts them. */
  readonly onFatal?: (error: Error) => void;
  /** Input waiting and progress per partition, for the health server's stall check. */
  readonly progress?: ProgressReporter;
}

const SEND_CHUNK_BYTES = 256 * 1024;
/** Input partitions processed at once (each its own transaction), unless configured. */
const DEFAULT_PARTITIONS_CONCURRENTLY = 6;
/**
 * A transaction per fetched batch per partition costs the same few round trips and markers
 * however small the batch: under steady, light traffic the broker answers each fetch with a
 * handful of records. Letting it gather up to 64 KiB or 100 ms first sizes transactions by time
 * and count, as Kafka Streams' exactly-once commit interval (100 ms) does; a busy stage never
 * waits (its fetches fill at once), a light one adds at most 100 ms.
 */
const DEFAULT_FETCH = { minBytes: 64 * 1024, maxWaitMs: 100 };
/**
 * Brokers older than Kafka 2.5 have no stable offset read: there a new producer's
 * committed-offset read waits to see it settle, this long between reads, at most this often.
 */
const SETTLE_MS = 300;
const SETTLE_READS = 5;

type Counts = { forwarded: number; quarantined: number; dead_lettered: number; duplicate: number };

/** Splits messages into runs whose values add up to at most `limit` bytes (at least one each). */
export function chunks(messages: readonly Message[], limit: number): Message[][] {
  const out: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = (message.value as Buffer | null)?.length ?? 0;
    if (current.length > 0 && bytes + size > limit) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

const header = (message: KafkaMessage, name: string): string | undefined =>
  message.headers?.[name]?.toString();

/**
 * Consume → transform → produce, exactly once (X1): each fetched batch is one Kafka transaction
 * that holds the outputs, the DLQ/quarantine records and the input offsets, so a crash or a
 * rebalance either commits all of it or none. Input is read `read_committed`. Transactions are
 * fenced per input partition (see partition-producers.ts), so an instance frozen past its session
 * that thaws after another took its partitions cannot commit what the other already wrote.
 * Delivery guarantee: exactly once into the output topics for read_committed consumers.
 */
export class Processor implements Stage {
  readonly guarantee = 'exactly-once';
  readonly commitMode = 'transaction';
  private readonly kafka: Kafka;
  private readonly codec: WireCodec;
  private readonly loop: ConsumeLoop;
  private stableOffsets: StableOffsetReader | undefined;
  /** False once the broker turned out too old for stable offset reads. */
  private stableOffsetsSupported = true;
  private producers: PartitionProducers | undefined;
  private readonly processed: Counter<'outcome'>;
  private readonly batchSeconds: Histogram;
  /** Resend windows per input partition, when `dedupeResends` is set. */
  private readonly windows: PartitionWindows | undefined;

  constructor(
    private readonly config: ProcessorConfig,
    private readonly transform: Transform,
    private readonly deps: ProcessorDeps,
  ) {
    this.kafka = kafkaWithLogger(`auditflow-${config.name}`, config.brokers, deps.logger);
    this.codec = new WireCodec(config.registryUrl, config.maxMessageBytes);
    const fetch = config.fetch ?? DEFAULT_FETCH;
    this.loop = new ConsumeLoop({
      kafka: this.kafka,
      topic: config.inputTopic,
      groupId: config.groupId,
      logger: deps.logger,
      consumer: {
        readUncommitted: false,
        maxBytesPerPartition: 1_048_576,
        minBytes: fetch.minBytes,
        maxWaitTimeInMs: fetch.maxWaitMs,
      },
      // Each input partition has its own transactional producer: their transactions go at once.
      partitionsConcurrently: config.partitionsConcurrently ?? DEFAULT_PARTITIONS_CONCURRENTLY,
      onFatal: deps.onFatal,
      progress: deps.progress,
    });
    const dedupe = config.dedupeResends;
    this.windows = dedupe ? new PartitionWindows(dedupe.windowPerPartition) : undefined;
    const registers = [deps.registry];
    this.processed = new Counter({
      name: 'auditflow_processor_events_total',
      help: 'Input events by outcome: forwarded, quarantined, dead-lettered, duplicate (a producer resend)',
      labelNames: ['outcome'],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'auditflow_processor_batch_seconds',
      help: 'Time to process and commit one transaction',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
  }

  get name(): string {
    return this.config.name;
  }

  get ready(): boolean {
    return this.loop.running && this.loop.assigned > 0;
  }

  async start(): Promise<void> {
    const instance = this.config.instanceId ?? `${hostname()}-${process.pid}`;
    const { groupId, inputTopic } = this.config;
    this.producers = new PartitionProducers(this.kafka, groupId, inputTopic, this.deps.logger);
    this.stableOffsets = new StableOffsetReader(this.kafka);
    await this.loop.start(this);
    this.deps.logger.info(
      { input: this.config.inputTopic, output: this.config.outputTopic, instance },
      'processor running',
    );
  }

  /** Graceful: finishes the batch in progress, commits it, and leaves the group. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await this.producers?.close();
    await this.stableOffsets?.close();
  }

  /**
   * A partition given away is another instance's to fence; if it comes back, a new producer
   * (a new epoch) starts from the offset committed meanwhile.
   */
  onAssignment(assigned: ReadonlySet<number>): void {
    void this.producers?.retain(assigned);
    this.windows?.retain(assigned);
    // A rejoin puts the consumer back at the committed offset, which cuts a window rebuild
    // short: its partition starts over as newly owned (a fresh producer plans a new rebuild).
    for (const partition of this.windows?.rebuildingPartitions() ?? []) {
      this.windows?.drop(partition);
      void this.producers?.drop(partition);
    }
  }

  /**
   * The committed offset a new producer starts after, once no transaction is still writing it.
   * A predecessor's last transaction is complete when our producer id is initialised, but the
   * broker applies its offsets to the group a moment later (after the commit markers): an
   * ordinary read in that moment gives the older offset, and the batch would be written twice
   * (seen: 5 and 11 events in one chaos run). The stable read (OffsetFetch require_stable,
   * KIP-447) waits for pending offsets; brokers before Kafka 2.5 lack it, and there reading
   * until two reads a moment apart agree narrows the moment without closing it.
   */
  private async predecessorsCommit(topic: string, partition: number): Promise<number> {
    if (this.stableOffsetsSupported) {
      try {
        return await (this.stableOffsets as StableOffsetReader).committed(
          this.config.groupId,
          topic,
          partition,
        );
      } catch (err) {
        if (!(err instanceof StableOffsetsUnsupportedError)) throw err;
        this.stableOffsetsSupported = false;
        this.deps.logger.warn({ err: err.message }, 'no stable offset reads: falling back to settled reads');
      }
    }
    let committed = await this.committedOffset(partition);
    for (let read = 0; read < SETTLE_READS; read++) {
      await sleep(SETTLE_MS);
      const again = await this.committedOffset(partition);
      if (again === committed) return committed;
      committed = again;
    }
    return committed;
  }

  /** The group's committed offset for one input partition; -1 when none was ever committed. */
  private async committedOffset(partition: number): Promise<number> {
    return (await this.loop.committed(partition)).offset;
  }

  async handleBatch(batch: StageBatch): Promise<void> {
    if (batch.messages.length === 0 || !batch.alive()) return;
    const { resolve, heartbeat } = batch;
    const started = performance.now();
    const { topic, partition } = batch;
    const last = batch.messages.at(-1) as KafkaMessage;
    let input: readonly KafkaMessage[] = batch.messages;
    // Where this batch starts in the partition: its first offset counts the transaction markers
    // and aborted records kafkajs leaves out of `messages` (a transactional input's committed
    // offset can be a marker's).
    let position = batch.firstOffset;
    const rebuildUntil = this.windows?.rebuilding(partition);
    if (rebuildUntil !== undefined) {
      input = await this.rebuildWindow(partition, batch.messages);
      position = rebuildUntil; // read through without a break up to there
      if (input.length === 0) {
        // Window-only records lie below the committed offset: nothing to write or commit; this
        // moves the consumer's own position on.
        resolve(last.offset);
        await heartbeat();
        return;
      }
    }
    const producers = this.producers as PartitionProducers;
    const slot = await producers.for(partition);
    let transaction: Transaction;
    try {
      // The first transaction of a new producer initialises its id: the broker fences the
      // previous holder and finishes (commits or aborts) what it left open before answering.
      transaction = await slot.producer.transaction();
    } catch (err) {
      await producers.drop(partition);
      throw err;
    }
    let counts: Counts;
    let keys: ReadonlySet<string>;
    try {
      const messages = slot.fresh ? await this.notYetCommitted(topic, partition, input, position) : input;
      if (messages === undefined) {
        await transaction.abort();
        return;
      }
      const routed = await this.route(batch, messages);
      counts = routed.counts;
      keys = routed.keys;
      for (const [topic, messages] of routed.outgoing) {
        // One request per chunk: a whole fetched batch re-encoded can exceed the broker's
        // max.message.bytes for a record batch.
        for (const chunk of chunks(messages, SEND_CHUNK_BYTES)) {
          await transaction.send({ topic, messages: chunk, acks: -1, compression: PIPELINE_COMPRESSION });
        }
      }
      await transaction.sendOffsets({
        consumerGroupId: this.config.groupId,
        topics: [{ topic, partitions: [{ partition, offset: String(Number(last.offset) + 1) }] }],
      });
      await transaction.commit();
    } catch (err) {
      await transaction.abort().catch(() => {});
      // A producer whose transaction failed is not reused: a new one starts a clean epoch.
      await producers.drop(partition);
      if (!isFenced(err)) throw err; // registry or broker trouble: kafkajs retries the batch
      // Another instance owns this partition now (we were frozen or cut off past the session):
      // nothing of this batch was committed. The heartbeat makes us rejoin the group.
      this.deps.logger.warn({ topic, partition }, 'fenced: another instance took this partition');
      await heartbeat();
      return;
    }
    slot.fresh = false;
    // Only committed records join the window: a batch that failed and is retried is no resend.
    this.windows?.committed(partition, keys, Number(last.offset) + 1);
    // The committed offset lives in the transaction; this moves the consumer's own position.
    resolve(last.offset);
    await heartbeat();
    for (const [outcome, n] of Object.entries(counts)) if (n > 0) this.processed.inc({ outcome }, n);
    this.batchSeconds.observe((performance.now() - started) / 1000);
  }

  /**
   * A new producer's first batch, less what a previous owner already committed: only once our
   * producer id is initialised is the committed offset final (a predecessor's last transaction
   * may have committed after our consumer read the offset at assignment). Undefined: seek back,
   * either to the commit or, to refill the partition's resend window first, before it.
   */
  private async notYetCommitted(
    topic: string,
    partition: number,
    messages: readonly KafkaMessage[],
    position: number,
  ): Promise<readonly KafkaMessage[] | undefined> {
    const committed = await this.predecessorsCommit(topic, partition);
    if (this.windows) {
      const plan = this.windows.plan(partition, committed, await this.loop.logStart(partition));
      if (plan.kind === 'rebuild') {
        // Why our own consumer and not a separate reader: it is already assigned this partition
        // in our group, so nobody else reads it meanwhile, there is no second group to join
        // (seconds per join) and no second copy of the position to keep in step. Records below
        // `until` only fill the window (rebuildWindow); no transaction covers them, so the
        // committed offset never moves back, and from `until` on everything goes as before.
        this.deps.logger.info(
          { topic, partition, from: plan.from, until: plan.until },
          'newly owned partition: reading back its last records into the resend window',
        );
        this.loop.seek(partition, plan.from);
        return undefined;
      }
    }
    if (committed > position) {
      this.deps.logger.info(
        { topic, partition, position, committed },
        'a previous owner of this partition committed further; skipping what it wrote',
      );
      // Committing this batch's end would move the offset back below what the owner committed.
      if (committed > Number(messages.at(-1)?.offset)) {
        this.loop.seek(partition, committed);
        return undefined;
      }
      return messages.filter((m) => Number(m.offset) >= committed);
    }
    if (committed >= 0 && committed < position) {
      // Our position comes from the group's commit, so only retention or compaction can have
      // put it past the commit (the records between are gone). Seeking back would meet
      // OFFSET_OUT_OF_RANGE and the reset to the log start again: a loop, never a recovery.
      this.deps.logger.warn(
        { topic, partition, position, committed },
        'records after the committed offset were removed (retention); going on from the log start',
      );
    }
    return messages;
  }

  /**
   * Feeds records read back below the committed offset into the partition's resend window
   * (decoded, never output); returns those at or past the offset, to be processed as usual.
   */
  private async rebuildWindow(partition: number, messages: readonly KafkaMessage[]): Promise<KafkaMessage[]> {
    const windows = this.windows as PartitionWindows;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i] as KafkaMessage;
      let key: string | undefined;
      try {
        key = resendKey(await this.codec.decode(message.value));
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err; // registry down: kafkajs retries the batch
      }
      if (windows.absorb(partition, Number(message.offset), key)) {
        this.deps.logger.info({ partition, keys: windows.size(partition) }, 'resend window rebuilt');
        return messages.slice(i);
      }
    }
    if (windows.rebuilding(partition) === undefined) {
      this.deps.logger.info({ partition, keys: windows.size(partition) }, 'resend window rebuilt');
    }
    return [];
  }

  /**
   * Decodes, transforms and encodes each message: what goes to which topic, the counts, and the
   * resend keys of the records kept (to join the window once the transaction commits).
   */
  private async route(
    batch: StageBatch,
    messages: readonly KafkaMessage[],
  ): Promise<{ outgoing: Map<string, Message[]>; counts: Counts; keys: ReadonlySet<string> }> {
    const outgoing = new Map<string, Message[]>();
    const add = (topic: string, message: Message) => {
      const list = outgoing.get(topic) ?? [];
      list.push(message);
      outgoing.set(topic, list);
    };
    const counts = { forwarded: 0, quarantined: 0, dead_lettered: 0, duplicate: 0 };
    const windows = this.windows;
    // Keys of this batch's records: a resend can sit in the same batch as its original.
    const batchKeys = new Set<string>();
    for (const message of messages) {
      let event: AuditEvent;
      try {
        event = await this.codec.decode(message.value);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err; // registry down: the batch is retried
        if (this.config.onDecodeError === 'quarantine') {
          add(
            this.config.quarantineTopic,
            deadLetter(batch, message, this.config.name, err.reason, err.message),
          );
          counts.quarantined += 1;
        } else {
          add(this.config.dlqTopic, deadLetter(batch, message, this.config.name, err.reason, err.message));
          counts.dead_lettered += 1;
        }
        continue;
      }
      if (windows) {
        const key = resendKey(event);
        if (batchKeys.has(key) || windows.seen(batch.partition, key)) {
          // A producer resend: the original went its way (forwarded or set aside) already.
          counts.duplicate += 1;
          continue;
        }
        batchKeys.add(key);
      }
      let outcome: ReturnType<Transform>;
      try {
        outcome = this.transform(event);
      } catch (err) {
        // A transform that throws can never succeed on this event: set it aside, move on.
        const error = `${this.config.name} failed: ${(err as Error).message}`;
        const toDlq = this.config.onTransformError === 'dlq';
        const topic = toDlq ? this.config.dlqTopic : this.config.quarantineTopic;
        add(topic, deadLetter(batch, message, this.config.name, 'transform_failed', error));
        counts[toDlq ? 'dead_lettered' : 'quarantined'] += 1;
        continue;
      }
      if (outcome.kind === 'quarantine') {
        // The original bytes, unprocessed: the quarantine topic is restricted for that reason.
        add(this.config.quarantineTopic, deadLetter(batch, message, this.config.name, outcome.reason));
        counts.quarantined += 1;
        continue;
      }
      let value: Buffer;
      try {
        value = await this.codec.encode(this.config.outputTopic, outcome.event);
      } catch (err) {
        if (err instanceof RegistryUnavailableError) throw err; // retried with the batch
        // The transform made an event the schema cannot hold: set aside, never a stuck partition.
        const reason = `${this.config.name} output does not encode: ${(err as Error).message}`;
        const target = this.config.onTransformError === 'quarantine' ? 'quarantineTopic' : 'dlqTopic';
        add(this.config[target], deadLetter(batch, message, this.config.name, 'encode_failed', reason));
        counts[target === 'quarantineTopic' ? 'quarantined' : 'dead_lettered'] += 1;
        continue;
      }
      const traceparent = header(message, HEADERS.traceparent);
      add(this.config.outputTopic, {
        key: message.key,
        value,
        headers: {
          [HEADERS.eventId]: outcome.event.id,
          [HEADERS.producerId]: outcome.event.producer.id,
          [HEADERS.sequence]: String(outcome.event.producer.sequence),
          ...(traceparent ? { traceparent } : {}),
        },
      });
      counts.forwarded += 1;
    }
    return { outgoing, counts, keys: batchKeys };
  }
}
