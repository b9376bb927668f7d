import {
  classifyBulkItem,
  classifyFailure,
  deadLetter,
  kafkaWithLogger,
  receivedAtOf,
  routingTime,
  WireCodec,
} from '@auditflow/kafka';
import { type AuditEvent, DEFAULT_OCCURRED_AT_WINDOW, type OccurredAtWindow } from '@auditflow/schemas';
import type { ProgressReporter } from '@auditflow/service';
import { ConsumeLoop, type Sink, type StageBatch } from '@auditflow/stage';
import type { Client } from '@elastic/elasticsearch';
import type { Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { toEcsDocument } from './ecs.ts';
import { planIndices } from './routing.ts';
import {
  checkIndexPrefix,
  expiredIndices,
  type IndexLayout,
  ilmPolicyBody,
  indexFor,
  templateBody,
} from './template.ts';

export interface IndexerConfig {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  readonly groupId: string;
  readonly topic: string;
  readonly dlqTopic: string;
  /** `audit-events` by default: indices are `<prefix>-YYYY.MM.DD` or the data stream `<prefix>`. */
  readonly indexPrefix: string;
  readonly searchRetentionDays: number;
  readonly replicas: number;
  readonly concurrency: number;
  /** Window around receipt inside which `occurred_at` picks the index (default 24 h ahead, 30 days back). */
  readonly timeWindow?: OccurredAtWindow;
  /** Most indices one fetched batch may create; further events go to their receipt-day index. */
  readonly maxNewIndicesPerBatch?: number;
  /** Longest pause of a partition whose documents Elasticsearch cannot take for now. */
  readonly maxBackoffMs?: number;
  /** How often daily indices past the search retention are deleted; never when omitted. */
  readonly sweepEveryMs?: number;
  /** Records larger than this go to the DLQ as `oversized` (AUDITFLOW_MAX_EVENT_BYTES, 1 MiB). */
  readonly maxMessageBytes?: number;
}

interface Pending {
  /** Position in the fetched batch: the partition commits up to the first unfinished one. */
  readonly position: number;
  readonly message: KafkaMessage;
  readonly event: AuditEvent;
  readonly index: string;
  readonly document: Record<string, unknown>;
}

/** What became of one record of a batch. */
type Outcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'dead'; readonly record: Message; readonly result: string }
  | { readonly kind: 'retry'; readonly detail: string };

type DeadLetterer = (message: KafkaMessage, reason: string, detail: string, result: string) => Outcome;

/** A stored copy's identity: the enricher's fingerprint, and the tenant and producer stamp. */
interface StoredIdentity {
  readonly organization?: { readonly id?: string };
  readonly audit?: {
    readonly fingerprint?: string;
    readonly producer?: { readonly id?: string; readonly sequence?: number };
  };
}

/**
 * Whether a stored document is this event (a redelivery) rather than another one that took its
 * id. The enricher's SHA-256 fingerprint decides; events without one (not enriched) match only
 * on tenant and producer stamp, so a client-chosen id never suppresses another tenant's event.
 */
export function sameEvent(stored: StoredIdentity | undefined, event: AuditEvent): boolean {
  if (!stored) return false;
  const fingerprint = event.enrichment?.fingerprint;
  const storedFingerprint = stored.audit?.fingerprint;
  if (fingerprint !== undefined || storedFingerprint !== undefined) return fingerprint === storedFingerprint;
  return (
    stored.organization?.id === event.tenant_id &&
    stored.audit?.producer?.id === event.producer.id &&
    stored.audit?.producer?.sequence === event.producer.sequence
  );
}

/**
 * Consumes audit.clean.v1 into Elasticsearch (I1–I3). Delivery guarantee: effectively once —
 * at least once from Kafka, deduplicated by `create` with `_id` = event id (a 409 counts as done
 * only when the stored copy is this event: same fingerprint; otherwise `id_conflict` to the
 * DLQ); offsets are committed only after Elasticsearch acknowledged or the DLQ took the record.
 * Every failure is classified once: permanent ones (undecodable records, invalid values,
 * mapping/parse errors) go to the DLQ with the reason and the partition moves on; retriable
 * ones (connection lost, 429, 5xx, a read-only cluster) commit what is finished, pause only
 * that partition and resume it after a backoff, so no partition waits for another.
 */
export class Indexer implements Sink {
  readonly name = 'indexer';
  readonly guarantee = 'effectively-once';
  readonly commitMode = 'after-write';
  private readonly kafka: Kafka;
  private readonly codec: WireCodec;
  private readonly loop: ConsumeLoop;
  private producer: Producer | undefined;
  private layout: IndexLayout | undefined;
  private readonly indexed: Counter<'result'>;
  private readonly retries: Counter<'partition'>;
  private readonly bulkSeconds: Histogram;
  private readonly emitToIndexed: Histogram;
  /** Indices known to exist: using them never counts against the per-batch cap. */
  private readonly knownIndices = new Set<string>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: IndexerConfig,
    private readonly es: Client,
    private readonly deps: {
      logger: Logger;
      registry: Registry;
      onFatal?: (err: Error) => void;
      progress?: ProgressReporter;
    },
  ) {
    checkIndexPrefix(config.indexPrefix);
    this.kafka = kafkaWithLogger('auditflow-indexer', config.brokers, deps.logger);
    this.loop = new ConsumeLoop({
      kafka: this.kafka,
      topic: config.topic,
      groupId: config.groupId,
      logger: deps.logger,
      consumer: { maxBytesPerPartition: 2 * 1_048_576 },
      partitionsConcurrently: config.concurrency,
      backoff: { minMs: 200, maxMs: config.maxBackoffMs ?? 10_000 },
      onFatal: deps.onFatal,
      progress: deps.progress,
    });
    this.codec = new WireCodec(config.registryUrl, config.maxMessageBytes);
    this.indexed = new Counter({
      name: 'auditflow_indexer_documents_total',
      help: 'Documents by result: created, duplicate (already indexed), rejected, id_conflict, invalid, undecodable (the last four to the DLQ)',
      labelNames: ['result'],
      registers: [deps.registry],
    });
    this.retries = new Counter({
      name: 'auditflow_indexer_backoffs_total',
      help: 'Times a partition paused because Elasticsearch could not take its documents for now',
      labelNames: ['partition'],
      registers: [deps.registry],
    });
    this.emitToIndexed = new Histogram({
      name: 'auditflow_indexer_emit_to_indexed_seconds',
      help: "From an event's receipt (SDK emit or gateway) to Elasticsearch acknowledging its document (searchable after the next refresh, 1 s)",
      buckets: [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60],
      registers: [deps.registry],
    });
    this.bulkSeconds = new Histogram({
      name: 'auditflow_indexer_bulk_seconds',
      help: 'Time from a fetched batch to its acknowledged bulk request',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [deps.registry],
    });
  }

  get ready(): boolean {
    return this.loop.running;
  }

  get indexLayout(): IndexLayout | undefined {
    return this.layout;
  }

  /** Data streams and ILM where the cluster has them, daily indices and our own retention otherwise. */
  async detectLayout(): Promise<IndexLayout> {
    const has = async (path: string): Promise<boolean> => {
      try {
        await this.es.transport.request({ method: 'GET', path });
        return true;
      } catch {
        return false;
      }
    };
    const full = (await has('/_data_stream')) && (await has('/_ilm/status'));
    return { mode: full ? 'data_stream' : 'daily_indices', prefix: this.config.indexPrefix };
  }

  async installTemplate(): Promise<IndexLayout> {
    const layout = await this.detectLayout();
    const ilmPolicy = `${this.config.indexPrefix}-policy`;
    if (layout.mode === 'data_stream') {
      await this.es.ilm.putLifecycle({ name: ilmPolicy, ...ilmPolicyBody(this.config.searchRetentionDays) });
    }
    await this.es.indices.putIndexTemplate({
      name: this.config.indexPrefix,
      ...(templateBody(layout, { replicas: this.config.replicas, ilmPolicy }) as object),
    });
    this.layout = layout;
    return layout;
  }

  private async existingIndices(): Promise<string[]> {
    const indices = await this.es.cat.indices({
      index: `${this.config.indexPrefix}-*`,
      format: 'json',
      h: 'index',
    });
    return (indices as { index?: string }[]).flatMap((i) => (i.index ? [i.index] : []));
  }

  /** Deletes daily indices past the search retention (only where ILM does not do it). */
  async sweepRetention(now = Date.now()): Promise<string[]> {
    if (this.layout?.mode !== 'daily_indices') return [];
    const expired = expiredIndices(
      await this.existingIndices(),
      this.config.indexPrefix,
      this.config.searchRetentionDays,
      now,
    );
    if (expired.length > 0) await this.es.indices.delete({ index: expired });
    for (const index of expired) this.knownIndices.delete(index);
    return expired;
  }

  async start(): Promise<void> {
    await this.installTemplate();
    if (this.layout?.mode === 'daily_indices') {
      for (const index of await this.existingIndices()) this.knownIndices.add(index);
    }
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    await this.loop.start(this);
    if (this.config.sweepEveryMs) {
      this.sweepTimer = setInterval(() => {
        this.sweepRetention().then(
          (deleted) =>
            deleted.length > 0 &&
            this.deps.logger.info({ deleted }, 'deleted indices past the search retention'),
          (err: Error) =>
            this.deps.logger.warn({ err: err.message }, 'retention sweep failed; will try again'),
        );
      }, this.config.sweepEveryMs);
    }
    this.deps.logger.info({ topic: this.config.topic, layout: this.layout }, 'indexer running');
  }

  /** Stops taking records; a batch in flight ends at its next step (paused partitions have none). */
  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.loop.stop();
    await this.producer?.disconnect();
  }

  async handleBatch(batch: StageBatch): Promise<void> {
    const started = performance.now();
    const outcomes: (Outcome | undefined)[] = new Array(batch.messages.length);
    const dead: DeadLetterer = (message, reason, detail, result) => ({
      kind: 'dead',
      record: deadLetter(batch, message, 'indexer', reason, detail),
      result,
    });
    const decoded: { position: number; message: KafkaMessage; event: AuditEvent }[] = [];
    for (const [position, message] of batch.messages.entries()) {
      try {
        decoded.push({ position, message, event: await this.codec.decode(message.value) });
      } catch (err) {
        const failure = classifyFailure(err);
        outcomes[position] = failure.retriable
          ? { kind: 'retry', detail: failure.detail }
          : dead(message, failure.reason, failure.detail, 'undecodable');
        // A registry outage fails every later record too: stop here, retry from this one.
        if (failure.retriable) break;
      }
    }
    const layout = this.layout as IndexLayout;
    const window = this.config.timeWindow ?? DEFAULT_OCCURRED_AT_WINDOW;
    const routed = decoded.map(({ message, event }) =>
      routingTime(
        {
          occurredAt: event.occurred_at,
          receivedAt: receivedAtOf(event),
          recordTimestamp: Number(message.timestamp),
        },
        window,
      ),
    );
    const indices = planIndices(
      routed.map((r) => ({ wanted: indexFor(layout, r.at), receipt: indexFor(layout, r.receipt) })),
      this.knownIndices,
      this.config.maxNewIndicesPerBatch ?? 8,
    );
    const pending: Pending[] = [];
    decoded.forEach(({ position, message, event }, i) => {
      try {
        const basis = routed[i]?.basis ?? 'occurred';
        const document = toEcsDocument(event, Date.now(), basis);
        pending.push({ position, message, event, index: indices[i] as string, document });
      } catch (err) {
        // A value no document can hold (an impossible date, details that are not JSON).
        outcomes[position] = dead(message, 'invalid_value', classifyFailure(err).detail, 'invalid');
      }
    });
    for (const [position, outcome] of await this.index(pending, dead)) outcomes[position] = outcome;
    if (!batch.alive()) return; // not committed: this member or another re-reads it
    await this.finish(batch, outcomes);
    this.bulkSeconds.observe((performance.now() - started) / 1000);
  }

  /** One bulk `create` for the pending documents; 409s are checked with one mget. */
  private async index(pending: readonly Pending[], dead: DeadLetterer): Promise<Map<number, Outcome>> {
    const outcomes = new Map<number, Outcome>();
    if (pending.length === 0) return outcomes;
    let items: Awaited<ReturnType<Client['bulk']>>['items'];
    try {
      const response = await this.es.bulk({
        operations: pending.flatMap((p) => [{ create: { _index: p.index, _id: p.event.id } }, p.document]),
        refresh: false,
      });
      items = response.items;
    } catch (err) {
      const failure = classifyFailure(err);
      if (failure.retriable || pending.length === 1) {
        for (const p of pending) {
          outcomes.set(
            p.position,
            failure.retriable
              ? { kind: 'retry', detail: failure.detail }
              : dead(p.message, failure.reason, failure.detail, 'rejected'),
          );
        }
        return outcomes;
      }
      // The request as a whole was refused (too large, or one document broke it): one by one.
      for (const p of pending)
        for (const [position, outcome] of await this.index([p], dead)) outcomes.set(position, outcome);
      return outcomes;
    }
    const conflicts: { p: Pending; index: string }[] = [];
    items.forEach((item, i) => {
      const p = pending[i] as Pending;
      const result = item.create;
      const status = result?.status ?? 500;
      if (status === 201 || status === 200) {
        this.indexed.inc({ result: 'created' });
        const receivedAt = receivedAtOf(p.event);
        if (receivedAt !== null) this.emitToIndexed.observe((Date.now() - receivedAt) / 1000);
        this.knownIndices.add(result?._index ?? p.index);
        outcomes.set(p.position, { kind: 'done' });
      } else if (status === 409) {
        conflicts.push({ p, index: result?._index ?? p.index });
      } else {
        const failure = classifyBulkItem(status, result?.error?.type, result?.error?.reason ?? undefined);
        outcomes.set(
          p.position,
          failure.retriable
            ? { kind: 'retry', detail: failure.detail }
            : dead(p.message, failure.reason, failure.detail, 'rejected'),
        );
      }
    });
    for (const [position, outcome] of await this.checkConflicts(conflicts, dead))
      outcomes.set(position, outcome);
    return outcomes;
  }

  /** 409s: already indexed only when the stored copy is the same event (one mget for all). */
  private async checkConflicts(
    conflicts: readonly { p: Pending; index: string }[],
    dead: DeadLetterer,
  ): Promise<Map<number, Outcome>> {
    const outcomes = new Map<number, Outcome>();
    if (conflicts.length === 0) return outcomes;
    let docs: readonly { found?: boolean; _source?: StoredIdentity }[];
    try {
      const response = await this.es.mget<StoredIdentity>({
        docs: conflicts.map(({ p, index }) => ({ _index: index, _id: p.event.id })),
        _source_includes: ['audit.fingerprint', 'audit.producer', 'organization.id'],
      });
      docs = response.docs as { found?: boolean; _source?: StoredIdentity }[];
    } catch (err) {
      const detail = classifyFailure(err).detail;
      for (const { p } of conflicts) outcomes.set(p.position, { kind: 'retry', detail });
      return outcomes;
    }
    conflicts.forEach(({ p, index }, i) => {
      const stored = docs[i];
      if (stored?.found && sameEvent(stored._source, p.event)) {
        this.indexed.inc({ result: 'duplicate' });
        outcomes.set(p.position, { kind: 'done' });
      } else if (stored?.found === false) {
        // Deleted between the create and the look-up: try again.
        outcomes.set(p.position, { kind: 'retry', detail: `document ${p.event.id} vanished after a 409` });
      } else {
        const detail = `id ${p.event.id} is already taken in ${index} by a different event (its fingerprint or tenant differs)`;
        outcomes.set(p.position, dead(p.message, 'id_conflict', detail, 'id_conflict'));
      }
    });
    return outcomes;
  }

  /**
   * Sends the DLQ records and commits up to the first record that must be retried; if there is
   * one, pauses this partition alone and resumes it after a backoff (kafkajs then fetches again
   * from the first unresolved offset).
   */
  private async finish(batch: StageBatch, outcomes: readonly (Outcome | undefined)[]): Promise<void> {
    let cut = outcomes.findIndex((o) => o === undefined || o.kind === 'retry');
    if (cut === -1) cut = batch.messages.length;
    const dead = outcomes.slice(0, cut).flatMap((o) => (o?.kind === 'dead' ? [o] : []));
    if (dead.length > 0) {
      await (this.producer as Producer).send({
        topic: this.config.dlqTopic,
        acks: -1,
        messages: dead.map((d) => d.record),
      });
      // Counted once sent: records past a retry are decided again on the next fetch.
      for (const d of dead) this.indexed.inc({ result: d.result });
    }
    if (cut > 0) {
      const last = batch.messages[cut - 1] as KafkaMessage;
      batch.resolve(last.offset);
      await batch.commit(Number(last.offset) + 1);
    }
    await batch.heartbeat();
    if (cut === batch.messages.length) {
      batch.succeeded();
      return;
    }
    const delayMs = batch.backOff();
    this.retries.inc({ partition: String(batch.partition) });
    const blocking = outcomes[cut];
    this.deps.logger.warn(
      {
        partition: batch.partition,
        offset: batch.messages[cut]?.offset,
        delayMs,
        err: blocking?.kind === 'retry' ? blocking.detail : 'unfinished',
      },
      'Elasticsearch cannot take these documents now; partition paused',
    );
  }
}
