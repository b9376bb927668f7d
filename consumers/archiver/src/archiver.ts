import { createPublicKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import {
  type ArchivedObject,
  type ArchiveStore,
  CLASS_TAG,
  chainPrefix,
  DEFAULT_MAX_PREFIXES_PER_ROLL,
  type Digest,
  digestHash,
  digestKey,
  digestTree,
  HEAD_EVENT_ACTION,
  headEvent,
  KEYS_PREFIX,
  keyId,
  type LegalHold,
  loadHolds,
  type OpenRoll,
  objectKeyProblem,
  type PlannedObject,
  planRoll,
  REPLAYED_HEADER,
  type RollLimits,
  rollIsDue,
  rollRecord,
  type SignedDigest,
  signDigest,
  storeDigest,
} from '@auditflow/archive';
import { classifyFailure, deadLetter, kafkaWithLogger, WireCodec } from '@auditflow/kafka';
import { DEFAULT_OCCURRED_AT_WINDOW, type OccurredAtWindow, toJsonForm } from '@auditflow/schemas';
import type { ProgressReporter } from '@auditflow/service';
import { ConsumeLoop, type Sink, type StageBatch } from '@auditflow/stage';
import type { ObjectLockMode } from '@aws-sdk/client-s3';
import type { Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const gzip = promisify(gzipCallback);

export interface ArchiverConfig {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  readonly groupId: string;
  readonly topic: string;
  readonly dlqTopic: string;
  readonly roll: RollLimits;
  /** Object Lock mode for data objects and digests; undefined where the bucket has no lock. */
  readonly lockMode: ObjectLockMode | undefined;
  /** Retention of events that carry no retention class (not enriched): the policy's default. */
  readonly defaultRetention: { readonly retentionClass: string; readonly days: number };
  /** How often legal holds are re-read from the bucket. */
  readonly holdsRefreshMs: number;
  /** Holds written in the retention policy file (the bucket holds those set by `retention hold`). */
  readonly policyHolds: readonly LegalHold[];
  /** Window around receipt inside which `occurred_at` picks the hour (default 24 h ahead, 30 days back). */
  readonly timeWindow?: OccurredAtWindow;
  /** Most tenant/hour prefixes one roll opens; further hours go to the receipt hour (256). */
  readonly maxPrefixesPerRoll?: number;
  /** How long a stop may spend writing open rolls (default 15 s); the rest is re-read on restart. */
  readonly drainTimeoutMs?: number;
  /** Longest pause of a partition whose roll the store cannot take for now (default 10 s). */
  readonly maxBackoffMs?: number;
  /** Records larger than this go to the DLQ as `oversized` (AUDITFLOW_MAX_EVENT_BYTES, 1 MiB). */
  readonly maxMessageBytes?: number;
  /**
   * Where each published head is also announced as an `audit.archive.digest` event (issue 19):
   * the pipeline's own tenant, the bucket named in the event.
   */
  readonly heads?: { readonly tenant: string; readonly bucket: string; readonly instance?: string };
}

/** What the archiver emits its head events through (the SDK's producer; tests may pass another). */
export interface HeadEvents {
  emit(event: ReturnType<typeof headEvent>, options: { pipeline: true }): unknown;
}

/** Attempts per S3 request within one try of a roll, before the partition pauses and backs off. */
const S3_ATTEMPTS = 4;

/** The roll a run promised to write, kept in the consumer group's offset metadata. */
interface RollIntent {
  readonly v: 1;
  /** Last offset of the roll: a restart must end its first roll exactly there. */
  readonly end: string;
}

interface PartitionState {
  /** Offset of the first message the open roll covers (the committed position). */
  next: bigint;
  /** Last offset read into the open roll (archived, skipped or dead-lettered). */
  lastSeen: bigint | undefined;
  /** End of a roll an earlier run started: this roll must end exactly there. */
  boundary: bigint | undefined;
  roll: OpenRoll;
  /**
   * Whether the open roll holds an event other than a head announcement: a roll of nothing but
   * head events announces no head of its own, or each head event, once archived, would make the
   * next and the pipeline would never be idle.
   */
  announce: boolean;
  /** Hash of the newest digest in this partition's chain; undefined until looked up. */
  previousDigest: string | null | undefined;
  /** Serialises the fetch loop and the quiet-partition timer on one partition. */
  busy: Promise<void>;
}

/** A record that must be read again later (the schema registry was unreachable). */
class RetryLater extends Error {
  override readonly name = 'RetryLater';
  readonly retriable = true;
}

/** Runs `work` while calling `heartbeat` every few seconds, so a long wait keeps the group membership. */
async function withHeartbeat<T>(work: Promise<T>, heartbeat: (() => Promise<void>) | undefined): Promise<T> {
  if (!heartbeat) return work;
  const timer = setInterval(() => void heartbeat().catch(() => undefined), 3000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/**
 * Archives audit.clean.v1 to S3 (SPEC A1–A3). Delivery guarantee: exactly once per object key.
 * Each partition's records are collected into a roll; before a roll is written, its last offset
 * is committed as the group's offset metadata (the roll's intent), then every object and the
 * roll's signed digest are written create-only, and only then the offset moves past the roll.
 * A restart finds the intent and ends its first roll at the same offset, so it rebuilds the same
 * keys and bytes; keys already written are kept as they are.
 *
 * Failures are classified once (issue 14). Permanent ones set the record aside in the DLQ with
 * the reason and the roll goes on without it: undecodable records and invalid values at intake,
 * a key that cannot be written, an object the store refuses for good (its events only; the
 * other tenants' objects of the roll are written). Retriable ones (store unreachable, 5xx,
 * throttling) are retried a few times, then only that partition pauses and resumes after a
 * backoff, its roll kept; nothing is committed that is not stored or dead-lettered. A stop
 * writes what it can within the drain timeout and leaves the rest to be re-read.
 */
export class Archiver implements Sink {
  readonly name = 'archiver';
  readonly guarantee = 'effectively-once';
  readonly commitMode = 'after-roll';
  private readonly kafka: Kafka;
  private readonly codec: WireCodec;
  private readonly loop: ConsumeLoop;
  private producer: Producer | undefined;
  private readonly partitions = new Map<number, PartitionState>();
  private holds: readonly LegalHold[] = [];
  private timer: NodeJS.Timeout | undefined;
  private holdsTimer: NodeJS.Timeout | undefined;
  private readonly stopping = new AbortController();
  private draining = false;
  private readonly publicKeyId: string;
  private readonly metrics;
  /**
   * When the newest digest of this archiver's partitions was published (ms): the last one it
   * stored, or the newest one a partition's chain held when first looked up; its start time
   * until either is known (a lower bound of the real age, never an alarm on an idle start).
   */
  private lastDigestMs = Date.now();
  private digestSeen = false;

  constructor(
    private readonly config: ArchiverConfig,
    private readonly store: ArchiveStore,
    private readonly signingKey: KeyObject,
    private readonly deps: {
      logger: Logger;
      registry: Registry;
      onFatal?: (err: Error) => void;
      progress?: ProgressReporter;
      /** Announces published heads through the pipeline; none: heads are objects only. */
      headEvents?: HeadEvents;
    },
  ) {
    this.kafka = kafkaWithLogger('auditflow-archiver', config.brokers, deps.logger);
    this.codec = new WireCodec(config.registryUrl, config.maxMessageBytes);
    this.publicKeyId = keyId(createPublicKey(signingKey));
    this.loop = new ConsumeLoop({
      kafka: this.kafka,
      topic: config.topic,
      groupId: config.groupId,
      logger: deps.logger,
      consumer: {
        maxBytesPerPartition: 1_048_576,
        // Rolls close after seconds, not milliseconds: fewer, fuller fetches cost far less CPU
        // than one fetch per trickle of records (kafkajs decodes each fetch response whole).
        minBytes: 256 * 1024,
        maxWaitTimeInMs: 1000,
      },
      partitionsConcurrently: 3,
      backoff: { minMs: 250, maxMs: config.maxBackoffMs ?? 10_000 },
      onFatal: deps.onFatal,
      progress: deps.progress,
    });
    const registers = [deps.registry];
    this.metrics = {
      events: new Counter({
        name: 'auditflow_archiver_events_total',
        help: 'Records by result: archived, replayed (skipped: already archived), duplicate (a second copy in one roll), undecodable, invalid, refused (the last three to the DLQ)',
        labelNames: ['result'],
        registers,
      }),
      objects: new Counter({
        name: 'auditflow_archiver_objects_total',
        help: 'Data objects by result: created, existing (written by an earlier attempt), refused (its events to the DLQ)',
        labelNames: ['result'],
        registers,
      }),
      bytes: new Counter({
        name: 'auditflow_archiver_bytes_total',
        help: 'Compressed bytes written',
        registers,
      }),
      retries: new Counter({
        name: 'auditflow_archiver_s3_retries_total',
        help: 'S3 requests retried (the store was unreachable or failed)',
        registers,
      }),
      backoffs: new Counter({
        name: 'auditflow_archiver_backoffs_total',
        help: 'Times a partition paused because its roll could not be written for now',
        registers,
      }),
      heads: new Counter({
        name: 'auditflow_archiver_head_events_total',
        help: 'Published digest heads by announcement: announced (an audit.archive.digest event spooled), not_announced (the spool refused it; the head object stands)',
        labelNames: ['result'],
        registers,
      }),
      rollSeconds: new Histogram({
        name: 'auditflow_archiver_roll_seconds',
        help: 'Time to write one roll: objects, digest and commit',
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers,
      }),
      // Its own gauge rather than the roll's age: a roll whose digest cannot be stored is retried
      // and never counted, and after a restart the chain's newest digest in the store is the one
      // that counts. The AuditflowDigestOverdue alert reads it.
      digestAge: new Gauge({
        name: 'auditflow_archiver_digest_age_seconds',
        help: "Seconds since the newest digest of this archiver's partitions was published (since its start until one is known)",
        registers,
        collect: () => {
          this.metrics.digestAge.set(Math.max(0, (Date.now() - this.lastDigestMs) / 1000));
        },
      }),
      open: new Gauge({
        name: 'auditflow_archiver_open_roll_bytes',
        help: 'Bytes buffered in open rolls, not yet written',
        registers,
        collect: () => {
          let bytes = 0;
          for (const state of this.partitions.values()) bytes += state.roll.bytes;
          this.metrics.open.set(bytes);
        },
      }),
    };
  }

  get ready(): boolean {
    return this.loop.running;
  }

  async start(): Promise<void> {
    await pRetry(
      () =>
        this.store.putOnce(
          `${KEYS_PREFIX}${this.publicKeyId}.pem`,
          Buffer.from(createPublicKey(this.signingKey).export({ type: 'spki', format: 'pem' })),
          { contentType: 'application/x-pem-file' },
        ),
      { forever: true, maxTimeout: 10_000, signal: this.stopping.signal },
    );
    await this.refreshHolds();
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    await this.loop.start(this);
    this.timer = setInterval(() => this.flushQuiet(), Math.min(1000, this.config.roll.maxAgeMs));
    this.holdsTimer = setInterval(
      () => void this.refreshHolds().catch(() => undefined),
      this.config.holdsRefreshMs,
    );
    this.deps.logger.info(
      {
        topic: this.config.topic,
        roll: this.config.roll,
        lockMode: this.config.lockMode,
        keyId: this.publicKeyId,
      },
      'archiver running',
    );
  }

  /**
   * Graceful stop: stop taking records, write every open roll and commit it (commits need the
   * group membership, so before the consumer stops), then disconnect. Writing gets the drain
   * timeout; after it, S3 retries are aborted and unwritten rolls are left to be read again.
   */
  async stop(): Promise<void> {
    this.draining = true;
    clearInterval(this.timer);
    clearInterval(this.holdsTimer);
    const deadline = setTimeout(() => this.stopping.abort(), this.config.drainTimeoutMs ?? 15_000);
    await this.loop.stop();
    clearTimeout(deadline);
    this.stopping.abort();
    await this.producer?.disconnect();
  }

  /** Partitions this member no longer owns: drop their open rolls (the new owner re-reads them). */
  onAssignment(owned: ReadonlySet<number>): void {
    for (const partition of this.partitions.keys())
      if (!owned.has(partition)) this.partitions.delete(partition);
  }

  /** Part of a stop, before the group is left (commits need the membership): the open rolls. */
  async drain(): Promise<void> {
    for (const [partition, state] of this.partitions) {
      await this.exclusive(state, () => this.flush(partition, state, undefined)).catch((err: Error) =>
        this.deps.logger.warn(
          { err: err.message, partition },
          'open roll not written; it is read again on restart',
        ),
      );
    }
  }

  private async refreshHolds(): Promise<void> {
    this.holds = await loadHolds(this.store, this.config.policyHolds);
  }

  /**
   * An S3 call, retried a few times while the failure is retriable; a permanent failure (or the
   * last retriable one) is thrown for the caller to classify. Aborted when a stop runs out of time.
   */
  private s3<T>(call: () => Promise<T>, heartbeat?: () => Promise<void>): Promise<T> {
    this.stopping.signal.throwIfAborted();
    return pRetry(call, {
      retries: S3_ATTEMPTS - 1,
      minTimeout: 250,
      maxTimeout: 2000,
      signal: this.stopping.signal,
      shouldRetry: (err) => classifyFailure(err).retriable,
      onFailedAttempt: (err) => {
        this.metrics.retries.inc();
        this.deps.logger.warn(
          { err: err.message, attempt: err.attemptNumber },
          'S3 request failed; retrying',
        );
        void heartbeat?.().catch(() => undefined);
      },
    });
  }

  private exclusive(state: PartitionState, work: () => Promise<void>): Promise<void> {
    const run = state.busy.then(work);
    state.busy = run.catch(() => undefined);
    return run;
  }

  /** The partition's state, reading an unfinished roll's intent from the group the first time. */
  private async partition(partition: number, firstOffset: string): Promise<PartitionState> {
    const known = this.partitions.get(partition);
    if (known) return known;
    const committed = await this.loop.committed(partition);
    let boundary: bigint | undefined;
    if (committed.metadata && committed.offset !== -1) {
      try {
        const intent = JSON.parse(committed.metadata) as RollIntent;
        if (intent.v === 1) boundary = BigInt(intent.end);
      } catch {
        // metadata from another tool: no intent to honour
      }
    }
    const state: PartitionState = {
      next: BigInt(committed.offset !== -1 ? committed.offset : firstOffset),
      lastSeen: undefined,
      boundary,
      roll: { records: [], bytes: 0, openedAt: 0 },
      announce: false,
      previousDigest: undefined,
      busy: Promise.resolve(),
    };
    if (boundary !== undefined) {
      this.deps.logger.info(
        { partition, from: String(state.next), end: String(boundary) },
        'finishing an interrupted roll',
      );
    }
    this.partitions.set(partition, state);
    return state;
  }

  /** The DLQ record of one Kafka record, counted under `result`. */
  private async deadLetter(messages: readonly Message[], result: string): Promise<void> {
    if (messages.length === 0) return;
    await (this.producer as Producer).send({
      topic: this.config.dlqTopic,
      acks: -1,
      messages: [...messages],
    });
    this.metrics.events.inc({ result }, messages.length);
  }

  /** Adds one record to the open roll, or sends it to the DLQ when it can never be archived. */
  private async intake(
    batch: { topic: string; partition: number },
    state: PartitionState,
    message: KafkaMessage,
  ): Promise<void> {
    if (message.headers?.[REPLAYED_HEADER] !== undefined) {
      this.metrics.events.inc({ result: 'replayed' });
      return;
    }
    let failure: ReturnType<typeof classifyFailure>;
    try {
      const event = await this.codec.decode(message.value);
      const line = JSON.stringify(toJsonForm(event));
      const record = rollRecord(
        message.offset,
        Number(message.timestamp),
        event,
        line,
        this.config.defaultRetention,
        this.config.timeWindow ?? DEFAULT_OCCURRED_AT_WINDOW,
      );
      if (state.roll.records.length === 0) state.roll.openedAt = Date.now();
      state.roll.records.push({ ...record, source: message });
      state.roll.bytes += line.length + 1;
      if (event.action !== HEAD_EVENT_ACTION) state.announce = true;
      return;
    } catch (err) {
      failure = classifyFailure(err);
    }
    if (failure.retriable) throw new RetryLater(failure.detail); // registry down: read it again
    // A decode failure names itself (corrupt_avro, …); anything else is a value we cannot archive.
    const invalid = failure.reason === 'unexpected_error' || failure.reason === 'invalid_value';
    await this.deadLetter(
      [deadLetter(batch, message, 'archiver', invalid ? 'invalid_value' : failure.reason, failure.detail)],
      invalid ? 'invalid' : 'undecodable',
    );
  }

  async handleBatch(batch: StageBatch): Promise<void> {
    const first = batch.messages[0];
    if (!first || this.draining || !batch.alive()) return;
    const state = await this.partition(batch.partition, first.offset);
    const stopped = () => this.draining || !batch.alive();
    const heartbeat = batch.heartbeat;
    try {
      await withHeartbeat(
        this.exclusive(state, async () => {
          for (const message of batch.messages) {
            if (stopped()) break;
            const offset = BigInt(message.offset);
            // Already in a written roll or in the open one: fetched again after a rebalance or a pause.
            if (offset < state.next || (state.lastSeen !== undefined && offset <= state.lastSeen)) continue;
            // A roll that reached its promised end but could not be written yet goes first.
            if (
              state.boundary !== undefined &&
              state.lastSeen !== undefined &&
              state.lastSeen >= state.boundary
            ) {
              await this.flush(batch.partition, state, heartbeat);
            }
            await this.intake(batch, state, message);
            state.lastSeen = offset;
            batch.resolve(message.offset);
            if (
              state.boundary !== undefined
                ? offset >= state.boundary
                : rollIsDue(state.roll, this.config.roll, Date.now())
            ) {
              await this.flush(batch.partition, state, heartbeat);
            }
          }
        }),
        heartbeat,
      );
      batch.succeeded();
    } catch (err) {
      if (this.draining) return; // stopping: what is not committed is read again
      const failure = classifyFailure(err);
      const delayMs = batch.backOff();
      this.metrics.backoffs.inc();
      this.deps.logger.warn(
        { partition: batch.partition, delayMs, err: failure.detail, retriable: failure.retriable },
        'roll not written for now; partition paused',
      );
    }
  }

  /**
   * Writes rolls that have waited their time on partitions with no new records, and rolls that
   * reached their promised end but could not be written (once the partition's backoff is over).
   */
  private flushQuiet(): void {
    const due = (state: PartitionState) =>
      state.boundary !== undefined
        ? state.lastSeen !== undefined && state.lastSeen >= state.boundary
        : rollIsDue(state.roll, this.config.roll, Date.now());
    for (const [partition, state] of this.partitions) {
      if (this.loop.waiting(partition) || !due(state)) continue;
      void this.exclusive(state, async () => {
        if (this.partitions.get(partition) === state && due(state)) {
          await this.flush(partition, state, undefined);
        }
      }).catch((err: Error) => {
        if (this.draining) return;
        // As for a failed fetch: this partition alone waits out a backoff before the next try.
        const delayMs = this.loop.backOff(partition);
        this.metrics.backoffs.inc();
        this.deps.logger.warn(
          { err: err.message, partition, delayMs },
          'roll not written for now; partition paused',
        );
      });
    }
  }

  /**
   * Writes one planned object; a key that cannot be written or the store's final refusal of
   * this object sets its events aside (returned as DLQ records) instead of failing the roll.
   */
  private async writeObject(
    partition: number,
    planned: PlannedObject,
    heartbeat: (() => Promise<void>) | undefined,
  ): Promise<{ object?: ArchivedObject; dead: Message[] }> {
    const { topic } = this.config;
    const refuse = (reason: string, detail: string) => {
      this.metrics.objects.inc({ result: 'refused' });
      this.deps.logger.error(
        { partition, reason, detail, events: planned.events },
        'object refused; its events go to the DLQ',
      );
      return {
        dead: planned.records.flatMap((r) =>
          r.source ? [deadLetter({ topic, partition }, r.source, 'archiver', reason, detail)] : [],
        ),
      };
    };
    const problem = objectKeyProblem(this.store.prefix + planned.key);
    if (problem) return refuse('object_key_invalid', problem);
    const body = await gzip(planned.body);
    let stored: Awaited<ReturnType<ArchiveStore['putOnce']>>;
    try {
      stored = await this.s3(
        () =>
          this.store.putOnce(planned.key, body, {
            contentType: 'application/x-ndjson',
            retainUntil: planned.retainUntil,
            lockMode: this.config.lockMode,
            legalHold: planned.legalHold,
            tags: { [CLASS_TAG]: planned.retentionClass },
            metadata: {
              events: String(planned.events),
              'retain-until': new Date(planned.retainUntil).toISOString(),
            },
          }),
        heartbeat,
      );
    } catch (err) {
      const failure = classifyFailure(err);
      if (failure.retriable) throw err;
      return refuse(failure.reason, failure.detail);
    }
    this.metrics.objects.inc({ result: stored.created ? 'created' : 'existing' });
    if (stored.created) this.metrics.bytes.inc(stored.size);
    return {
      dead: [],
      object: {
        key: planned.key,
        sha256: stored.sha256,
        size: stored.size,
        topic,
        partition,
        firstOffset: planned.location.firstOffset,
        lastOffset: planned.location.lastOffset,
        events: planned.events,
      },
    };
  }

  private async flush(
    partition: number,
    state: PartitionState,
    heartbeat: (() => Promise<void>) | undefined,
  ) {
    const end = state.lastSeen;
    if (end === undefined || end < state.next) return;
    const started = performance.now();
    const { topic } = this.config;
    const records = state.roll.records;
    if (records.length > 0) {
      if (state.boundary === undefined) {
        const intent: RollIntent = { v: 1, end: String(end) };
        await this.loop.commit(partition, state.next, JSON.stringify(intent));
        // Promised: should this try fail, the roll still ends here when it is tried again.
        state.boundary = end;
      }
      const objects: ArchivedObject[] = [];
      /** The written objects' NDJSON bodies, in the digest's order: the leaves of its Merkle tree. */
      const bodies: string[] = [];
      const dead: Message[] = [];
      let retainUntil = 0;
      const plan = planRoll(
        topic,
        partition,
        records,
        this.holds,
        this.config.maxPrefixesPerRoll ?? DEFAULT_MAX_PREFIXES_PER_ROLL,
      );
      for (const planned of plan) {
        const written = await this.writeObject(partition, planned, heartbeat);
        dead.push(...written.dead);
        if (!written.object) continue;
        objects.push(written.object);
        bodies.push(planned.body);
        retainUntil = Math.max(retainUntil, planned.retainUntil);
      }
      // The refused events are in the DLQ before the offset moves past them.
      await this.deadLetter(dead, 'refused');
      if (objects.length > 0) {
        const firstRecord = records[0] as (typeof records)[number];
        const lastRecord = records[records.length - 1] as (typeof records)[number];
        await this.writeDigest(
          partition,
          state,
          {
            version: 1,
            from: new Date(firstRecord.timestamp).toISOString(),
            to: new Date(lastRecord.timestamp).toISOString(),
            previous: null,
            objects,
            tree: digestTree(bodies),
          },
          retainUntil,
          heartbeat,
          state.announce,
        );
      }
      const kept = plan.reduce((n, planned) => n + planned.events, 0);
      this.metrics.events.inc({ result: 'archived' }, kept - dead.length);
      if (kept < records.length) this.metrics.events.inc({ result: 'duplicate' }, records.length - kept);
    }
    await this.loop.commit(partition, end + 1n, null);
    state.next = end + 1n;
    state.boundary = undefined;
    state.roll = { records: [], bytes: 0, openedAt: 0 };
    state.announce = false;
    this.metrics.rollSeconds.observe((performance.now() - started) / 1000);
  }

  /**
   * Signs the roll's digest, chained to the partition's previous one, stores it create-only and
   * publishes its head (issue 19): a COMPLIANCE-locked copy under `_heads/`, and, where
   * `announce`, an `audit.archive.digest` event through the pipeline.
   */
  private async writeDigest(
    partition: number,
    state: PartitionState,
    unchained: Digest,
    retainUntil: number,
    heartbeat: (() => Promise<void>) | undefined,
    announce: boolean,
  ): Promise<void> {
    const first = unchained.objects[0] as ArchivedObject;
    const key = digestKey(this.config.topic, partition, first.firstOffset, first.lastOffset);
    if (state.previousDigest === undefined) {
      state.previousDigest = await this.s3(() => this.previousDigestHash(partition, key), heartbeat);
    }
    const signed = signDigest({ ...unchained, previous: state.previousDigest }, this.signingKey);
    // An earlier attempt's digest stands; its head is published and the chain continues from it.
    const stored = await this.s3(
      () => storeDigest(this.store, key, signed, { retainUntil, lockMode: this.config.lockMode }),
      heartbeat,
    );
    state.previousDigest = stored.hash;
    this.digestPublished(Date.now());
    const heads = this.config.heads;
    if (announce && heads && this.deps.headEvents) {
      // Spooled by the SDK (durable, delivered once Kafka takes it). A full spool must not stop
      // archiving: the head object is published already; the announcement is counted as lost.
      try {
        this.deps.headEvents.emit(headEvent(key, stored.stored, heads), { pipeline: true });
        this.metrics.heads.inc({ result: 'announced' });
      } catch (err) {
        this.metrics.heads.inc({ result: 'not_announced' });
        this.deps.logger.warn(
          { err: (err as Error).message, digest: key },
          'head published as an object; its audit.archive.digest event could not be spooled',
        );
      }
    }
  }

  /** Keeps the newest digest time (the first one known replaces the start time). */
  private digestPublished(ms: number): void {
    if (!this.digestSeen || ms > this.lastDigestMs) this.lastDigestMs = ms;
    this.digestSeen = true;
  }

  /** Hash of the newest digest of the partition's chain written before `key`; null when none. */
  private async previousDigestHash(partition: number, key: string): Promise<string | null> {
    const chain = (await this.store.list(chainPrefix(this.config.topic, partition))).filter(
      (o) => o.key < key,
    );
    const last = chain[chain.length - 1];
    if (!last) return null;
    if (last.lastModified > 0) this.digestPublished(last.lastModified);
    return digestHash((await this.store.getJson<SignedDigest>(last.key)).digest);
  }
}
