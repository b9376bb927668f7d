import { DecodeError, type WireCodec } from '@auditflow/processor-runtime';
import type { Client } from '@elastic/elasticsearch';
import type { Kafka } from 'kafkajs';
import { readTopicSince } from './kafka-range.ts';
import { archivedEventsIn } from './replay.ts';
import type { ArchiveStore } from './store.ts';

/** One emitted event as the stages saw it: the input of the pure accounting. */
export interface EmittedEvent {
  readonly id: string;
  readonly tenant: string;
  readonly producer: string;
  readonly sequence: number;
}

export interface DeadLettered {
  readonly stage: string;
  readonly reason: string;
}

export interface StageSets {
  readonly raw: readonly EmittedEvent[];
  /** Raw records that do not decode, by `partition/offset`. */
  readonly undecodableRaw: readonly string[];
  readonly clean: ReadonlySet<string>;
  readonly indexed: ReadonlySet<string>;
  readonly archived: ReadonlySet<string>;
  /** DLQ and quarantine records by event id, and by raw source position for undecodable ones. */
  readonly deadById: ReadonlyMap<string, DeadLettered>;
  readonly deadByRawPosition: ReadonlyMap<string, DeadLettered>;
}

export interface Gap {
  readonly stage: 'producer' | 'raw' | 'clean' | 'index' | 'archive';
  readonly detail: string;
  readonly id?: string;
}

export interface ReconcileReport {
  readonly counts: {
    readonly emitted: number;
    readonly raw: number;
    readonly clean: number;
    readonly indexed: number;
    readonly archived: number;
    readonly deadLettered: number;
  };
  readonly deadLetterReasons: Record<string, number>;
  readonly gaps: Gap[];
}

/** Consecutive runs of missing numbers, e.g. [3, 4, 5, 9] -> "3-5, 9". */
function runs(missing: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < missing.length; ) {
    let j = i;
    while (j + 1 < missing.length && (missing[j + 1] as number) === (missing[j] as number) + 1) j++;
    parts.push(i === j ? String(missing[i]) : `${missing[i]}-${missing[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/**
 * Loss accounting (SPEC A5), pure: every emitted event must be in the clean topic, the index and
 * the archive, or in a DLQ/quarantine record with its reason. Producers number their events
 * without gaps (E6), so a missing sequence number is an event that never reached Kafka.
 */
export function reconcileStages(sets: StageSets): ReconcileReport {
  const gaps: Gap[] = [];
  const reasons: Record<string, number> = {};
  const count = (dead: DeadLettered) => {
    const label = `${dead.stage}: ${dead.reason}`;
    reasons[label] = (reasons[label] ?? 0) + 1;
  };
  const byProducer = new Map<string, number[]>();
  let clean = 0;
  let indexed = 0;
  let archived = 0;
  let dead = 0;
  for (const event of sets.raw) {
    const list = byProducer.get(event.producer) ?? [];
    list.push(event.sequence);
    byProducer.set(event.producer, list);
    const deadRecord = sets.deadById.get(event.id);
    if (!sets.clean.has(event.id)) {
      if (deadRecord) {
        dead++;
        count(deadRecord);
      } else {
        gaps.push({
          stage: 'clean',
          id: event.id,
          detail: `event ${event.id} (tenant ${event.tenant}) is in the raw topic but neither in the clean topic nor in a DLQ/quarantine record`,
        });
      }
      continue;
    }
    clean++;
    if (sets.indexed.has(event.id)) indexed++;
    else if (deadRecord?.stage === 'indexer') count(deadRecord);
    else
      gaps.push({
        stage: 'index',
        id: event.id,
        detail: `event ${event.id} (tenant ${event.tenant}) is in the clean topic but not in the index`,
      });
    if (sets.archived.has(event.id)) archived++;
    else if (deadRecord?.stage === 'archiver') count(deadRecord);
    else
      gaps.push({
        stage: 'archive',
        id: event.id,
        detail: `event ${event.id} (tenant ${event.tenant}) is in the clean topic but not in the archive`,
      });
  }
  let missingSequences = 0;
  for (const [producer, sequences] of byProducer) {
    const sorted = [...new Set(sequences)].sort((a, b) => a - b);
    const missing: number[] = [];
    for (let i = 1; i < sorted.length; i++) {
      for (let s = (sorted[i - 1] as number) + 1; s < (sorted[i] as number); s++) missing.push(s);
    }
    if (missing.length > 0) {
      missingSequences += missing.length;
      gaps.push({
        stage: 'producer',
        detail: `producer ${producer}: sequence ${runs(missing)} never reached the raw topic`,
      });
    }
  }
  for (const position of sets.undecodableRaw) {
    const deadRecord = sets.deadByRawPosition.get(position);
    if (deadRecord) {
      dead++;
      count(deadRecord);
    } else {
      gaps.push({ stage: 'raw', detail: `raw record ${position} does not decode and has no DLQ record` });
    }
  }
  return {
    counts: {
      emitted: sets.raw.length + missingSequences + sets.undecodableRaw.length,
      raw: sets.raw.length + sets.undecodableRaw.length,
      clean,
      indexed,
      archived,
      deadLettered: dead,
    },
    deadLetterReasons: reasons,
    gaps,
  };
}

export interface ReconcileOptions {
  readonly from: number;
  readonly to: number;
  readonly tenant?: string;
  readonly topics: { raw: string; clean: string; dlq: string; quarantine: string };
  readonly indexPattern: string;
  /** How far before `from` to start reading topics (events reach Kafka after they happen). */
  readonly slackMs?: number;
}

/** Reads every stage for the window and accounts for each event (see `reconcileStages`). */
export async function reconcile(
  deps: { kafka: Kafka; codec: WireCodec; es: Client; store: ArchiveStore },
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const since = options.from - (options.slackMs ?? 3_600_000);
  const inWindow = (tenant: string, at: number) =>
    at >= options.from && at <= options.to && (options.tenant === undefined || tenant === options.tenant);

  // The four reads each wait out a quiet spell at the end (see readTopicSince): in parallel, once.
  const read = (topic: string) => readTopicSince(deps.kafka, topic, since);
  const [rawRecords, cleanRecords, dlqRecords, quarantineRecords] = await Promise.all([
    read(options.topics.raw),
    read(options.topics.clean),
    read(options.topics.dlq),
    read(options.topics.quarantine),
  ]);
  const raw: EmittedEvent[] = [];
  const undecodableRaw: string[] = [];
  for (const { partition, message } of rawRecords) {
    try {
      const event = await deps.codec.decode(message.value);
      if (!inWindow(event.tenant_id, event.occurred_at)) continue;
      raw.push({
        id: event.id,
        tenant: event.tenant_id,
        producer: event.producer.id,
        sequence: event.producer.sequence,
      });
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      // Undecodable records carry no time or tenant: those written in the window count.
      if (Number(message.timestamp) >= options.from && Number(message.timestamp) <= options.to) {
        undecodableRaw.push(`${options.topics.raw}/${partition}/${message.offset}`);
      }
    }
  }

  const clean = new Set<string>();
  for (const { message } of cleanRecords) {
    try {
      clean.add((await deps.codec.decode(message.value)).id);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
    }
  }

  const deadById = new Map<string, DeadLettered>();
  const deadByRawPosition = new Map<string, DeadLettered>();
  for (const records of [dlqRecords, quarantineRecords]) {
    for (const { message } of records) {
      const header = (name: string) => message.headers?.[name]?.toString() ?? '';
      const dead = {
        stage: header('auditflow-stage') || 'unknown',
        reason: header('auditflow-reason') || 'unknown',
      };
      try {
        deadById.set((await deps.codec.decode(message.value)).id, dead);
      } catch {
        deadByRawPosition.set(
          `${header('auditflow-source-topic')}/${header('auditflow-source-partition')}/${header('auditflow-source-offset')}`,
          dead,
        );
      }
    }
  }

  const indexed = new Set<string>();
  const ids = raw.map((e) => e.id);
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const found = await deps.es.search({
      index: options.indexPattern,
      size: chunk.length,
      _source: false,
      query: { ids: { values: chunk } },
    });
    for (const hit of found.hits.hits) if (hit._id) indexed.add(hit._id);
  }

  const archived = new Set<string>();
  for await (const { event } of archivedEventsIn(deps.store, options)) archived.add(event.id);

  return reconcileStages({ raw, undecodableRaw, clean, indexed, archived, deadById, deadByRawPosition });
}
