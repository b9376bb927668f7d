import { setTimeout as sleep } from 'node:timers/promises';
import {
  DecodeError,
  deadLetter,
  kafkaWithLogger,
  onConsumerCrash,
  WireCodec,
} from '@auditflow/processor-runtime';
import type { AuditEvent } from '@auditflow/schemas';
import type { Client } from '@elastic/elasticsearch';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { toEcsDocument } from './ecs.ts';
import { expiredIndices, type IndexLayout, ilmPolicyBody, indexFor, templateBody } from './template.ts';

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
}

interface Pending {
  readonly message: KafkaMessage;
  readonly event: AuditEvent;
  readonly index: string;
  readonly document: Record<string, unknown>;
}

const RETRIABLE = (status: number): boolean => status === 429 || status >= 500;

/**
 * Consumes audit.clean.v1 into Elasticsearch (I1–I3). Delivery guarantee: effectively once —
 * at least once from Kafka, deduplicated by `create` with `_id` = event id (a 409 on
 * redelivery counts as done); offsets are committed only after Elasticsearch acknowledged or
 * the DLQ took the document. 429/5xx/connection loss are retried with backoff while the
 * partition waits (backpressure); per-item rejections go to the DLQ with the reason.
 */
export class Indexer {
  private readonly kafka: Kafka;
  private readonly codec: WireCodec;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private layout: IndexLayout | undefined;
  private readonly indexed: Counter<'result'>;
  private readonly bulkSeconds: Histogram;
  private running = false;

  constructor(
    private readonly config: IndexerConfig,
    private readonly es: Client,
    private readonly deps: { logger: Logger; registry: Registry; onFatal?: (err: Error) => void },
  ) {
    this.kafka = kafkaWithLogger('auditflow-indexer', config.brokers, deps.logger);
    this.codec = new WireCodec(config.registryUrl);
    this.indexed = new Counter({
      name: 'auditflow_indexer_documents_total',
      help: 'Documents by result: created, duplicate (already indexed), rejected (to the DLQ), undecodable',
      labelNames: ['result'],
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
    return this.running;
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

  /** Deletes daily indices past the search retention (only where ILM does not do it). */
  async sweepRetention(now = Date.now()): Promise<string[]> {
    if (this.layout?.mode !== 'daily_indices') return [];
    const indices = await this.es.cat.indices({
      index: `${this.config.indexPrefix}-*`,
      format: 'json',
      h: 'index',
    });
    const expired = expiredIndices(
      (indices as { index?: string }[]).flatMap((i) => (i.index ? [i.index] : [])),
      this.config.indexPrefix,
      this.config.searchRetentionDays,
      now,
    );
    if (expired.length > 0) await this.es.indices.delete({ index: expired });
    return expired;
  }

  async start(): Promise<void> {
    await this.installTemplate();
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    this.consumer = this.kafka.consumer({
      groupId: this.config.groupId,
      maxBytesPerPartition: 2 * 1_048_576,
    });
    onConsumerCrash(this.consumer, this.deps.logger, (err) => {
      this.running = false;
      this.deps.onFatal?.(err);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.config.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.config.concurrency,
      eachBatch: (payload) => this.processBatch(payload),
    });
    this.running = true;
    this.deps.logger.info({ topic: this.config.topic, layout: this.layout }, 'indexer running');
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  private async processBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const started = performance.now();
    const layout = this.layout as IndexLayout;
    const dead: Message[] = [];
    let pending: Pending[] = [];
    for (const message of batch.messages) {
      try {
        const event = await this.codec.decode(message.value);
        pending.push({
          message,
          event,
          index: indexFor(layout, event.occurred_at),
          document: toEcsDocument(event, Date.now()),
        });
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        dead.push(deadLetter(batch, message, 'indexer', err.reason, err.message));
        this.indexed.inc({ result: 'undecodable' });
      }
    }
    let backoff = 200;
    while (pending.length > 0) {
      if (!isRunning() || isStale()) return; // not committed: another member re-reads it
      let retry: Pending[] = [];
      try {
        const operations = pending.flatMap((p) => [
          { create: { _index: p.index, _id: p.event.id } },
          p.document,
        ]);
        const response = await this.es.bulk({ operations, refresh: false });
        response.items.forEach((item, i) => {
          const p = pending[i] as Pending;
          const result = item.create;
          const status = result?.status ?? 500;
          if (status === 201 || status === 200) this.indexed.inc({ result: 'created' });
          else if (status === 409) this.indexed.inc({ result: 'duplicate' });
          else if (RETRIABLE(status)) retry.push(p);
          else {
            const reason = `${result?.error?.type ?? status}: ${result?.error?.reason ?? 'rejected'}`;
            dead.push(deadLetter(batch, p.message, 'indexer', 'elasticsearch_rejected', reason));
            this.indexed.inc({ result: 'rejected' });
          }
        });
      } catch (err) {
        this.deps.logger.warn(
          { err: (err as Error).message, documents: pending.length },
          'Elasticsearch unavailable; retrying',
        );
        retry = pending;
      }
      pending = retry;
      if (pending.length > 0) {
        await heartbeat();
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
    if (dead.length > 0)
      await (this.producer as Producer).send({ topic: this.config.dlqTopic, acks: -1, messages: dead });
    const last = batch.messages.at(-1) as KafkaMessage;
    resolveOffset(last.offset);
    await (this.consumer as Consumer).commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: String(Number(last.offset) + 1) },
    ]);
    await heartbeat();
    this.bulkSeconds.observe((performance.now() - started) / 1000);
  }
}
