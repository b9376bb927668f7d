import { DecodeError, receivedAtOf, resendKey, routingTime, type WireCodec } from '@auditflow/kafka';
import { HEADERS, type OccurredAtWindow } from '@auditflow/schemas';
import type { Client } from '@elastic/elasticsearch';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { eachRecordSince, type RangeMessage } from './kafka-range.ts';
import { archivedEventsIn } from './replay.ts';
import type { ArchiveStore } from './store.ts';

/** Where a record sits in a topic and when it was written there. */
export interface TopicPosition {
  readonly partition: number;
  readonly offset: bigint;
  /** Kafka record time (ms). */
  readonly timestamp: number;
}

/** One emitted event as the stages saw it: the input of the pure accounting. */
export interface EmittedEvent {
  readonly id: string;
  readonly tenant: string;
  readonly producer: string;
  readonly sequence: number;
  /** Its raw-topic record (absent in hand-built inputs: then it is never taken as in flight). */
  readonly raw?: TopicPosition;
  /**
   * Another tenant's event, kept only for its producer's sequence: producers number events
   * across tenants, so a tenant's own numbers have holes that are no loss.
   */
  readonly outOfScope?: boolean;
}

export interface DeadLettered {
  readonly stage: string;
  readonly reason: string;
}

/** A consumer group's committed offset per partition (the next record it will read). */
export type CommittedPositions = ReadonlyMap<number, bigint>;

/**
 * How far each stage has got, to tell events still on their way (lag) from events a stage has
 * passed without storing (loss). A stage whose group position is unknown (another group name,
 * never committed) falls back to time: records younger than its allowance are in flight.
 */
export interface StageProgress {
  readonly now: number;
  /** The sanitizer's committed positions on the raw topic. */
  readonly sanitizer?: CommittedPositions;
  readonly indexer?: CommittedPositions;
  readonly archiver?: CommittedPositions;
  /** How long a record may take through a stage (the archiver's includes its roll window). */
  readonly allowanceMs: { readonly clean: number; readonly index: number; readonly archive: number };
}

export interface StageSets {
  readonly raw: readonly EmittedEvent[];
  /** Raw records that do not decode, by `partition/offset`, with their position. */
  readonly undecodableRaw: readonly string[];
  readonly undecodableRawPositions?: ReadonlyMap<string, TopicPosition>;
  /** Event ids in the clean topic, with their clean-topic record where known. */
  readonly clean: ReadonlySet<string> | ReadonlyMap<string, TopicPosition>;
  readonly indexed: ReadonlySet<string>;
  readonly archived: ReadonlySet<string>;
  /** DLQ and quarantine records by event id, and by raw source position for undecodable ones. */
  readonly deadById: ReadonlyMap<string, DeadLettered>;
  readonly deadByRawPosition: ReadonlyMap<string, DeadLettered>;
  /** Without it nothing is in flight: every missing event is a gap. */
  readonly progress?: StageProgress;
}

export type StageName = 'producer' | 'raw' | 'clean' | 'index' | 'archive';

export interface Gap {
  readonly stage: StageName;
  readonly detail: string;
  readonly id?: string;
  readonly tenant?: string;
}

/** An event a stage has not reached yet: behind no committed position, or younger than its allowance. */
export interface InFlight {
  readonly stage: Exclude<StageName, 'producer'>;
  readonly id?: string;
  readonly tenant?: string;
  readonly detail: string;
}

/** Per stage and tenant: how many events it should hold and what became of them. */
export interface StageTenantSummary {
  readonly stage: Exclude<StageName, 'producer' | 'raw'>;
  readonly tenant: string;
  readonly expected: number;
  readonly present: number;
  readonly deadLettered: number;
  readonly inFlight: number;
  readonly gaps: number;
}

export interface ReconcileReport {
  readonly counts: {
    /** Distinct events: a producer resend is not counted again. */
    readonly emitted: number;
    /** Raw records, resends included. */
    readonly raw: number;
    /**
     * Raw records that repeat an earlier one's tenant, producer id, sequence and event id (an SDK
     * or gateway resend after an outage): the sanitizer drops them, so they are neither a gap
     * nor expected again downstream.
     */
    readonly resends: number;
    readonly clean: number;
    readonly indexed: number;
    readonly archived: number;
    readonly deadLettered: number;
    readonly inFlight: number;
  };
  readonly deadLetterReasons: Record<string, number>;
  /** Stage by stage, tenant by tenant, in that order. */
  readonly summary: StageTenantSummary[];
  /** Real gaps only: a non-zero exit. */
  readonly gaps: Gap[];
  readonly inFlight: InFlight[];
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

/** Whether a stage has yet to reach a record: at or past its committed position, or young. */
function notReached(
  position: TopicPosition | undefined,
  committed: CommittedPositions | undefined,
  allowanceMs: number,
  now: number,
): boolean {
  if (!position) return false;
  const next = committed?.get(position.partition);
  if (next !== undefined && position.offset >= next) return true;
  // Behind the committed position: the stage has passed it, unless it is still within the
  // allowance of a stage whose position is unknown.
  return next === undefined && now - position.timestamp < allowanceMs;
}

/**
 * Loss accounting (SPEC A5), pure: every emitted event must be in the clean topic, the index and
 * the archive, or in a DLQ/quarantine record with its reason, or still on its way (a stage has
 * not reached it yet). Producers number their events without gaps (E6), so a missing sequence
 * number is an event that never reached Kafka.
 */
export function reconcileStages(sets: StageSets): ReconcileReport {
  const gaps: Gap[] = [];
  const inFlight: InFlight[] = [];
  const reasons: Record<string, number> = {};
  const summary = new Map<string, { -readonly [K in keyof StageTenantSummary]: StageTenantSummary[K] }>();
  const tally = (
    stage: StageTenantSummary['stage'],
    tenant: string,
    field: 'present' | 'deadLettered' | 'inFlight' | 'gaps',
  ) => {
    const key = `${stage}\u0000${tenant}`;
    let row = summary.get(key);
    if (!row) {
      row = { stage, tenant, expected: 0, present: 0, deadLettered: 0, inFlight: 0, gaps: 0 };
      summary.set(key, row);
    }
    row.expected++;
    row[field]++;
  };
  const count = (dead: DeadLettered) => {
    const label = `${dead.stage}: ${dead.reason}`;
    reasons[label] = (reasons[label] ?? 0) + 1;
  };
  const progress = sets.progress;
  const cleanPositions =
    sets.clean instanceof Map ? (sets.clean as ReadonlyMap<string, TopicPosition>) : undefined;
  const byProducer = new Map<string, number[]>();
  let clean = 0;
  let indexed = 0;
  let archived = 0;
  let dead = 0;
  const seen = new Set<string>();
  let resends = 0;
  for (const event of sets.raw) {
    // By the key the sanitizer drops resends with (dedup.ts in the processor runtime).
    const key = resendKey({
      tenant_id: event.tenant,
      id: event.id,
      producer: { id: event.producer, sequence: event.sequence },
    });
    if (seen.has(key)) {
      if (!event.outOfScope) resends++;
      continue;
    }
    seen.add(key);
    const list = byProducer.get(event.producer) ?? [];
    list.push(event.sequence);
    byProducer.set(event.producer, list);
    if (event.outOfScope) continue;
    const deadRecord = sets.deadById.get(event.id);
    const who = `event ${event.id} (tenant ${event.tenant})`;
    if (!sets.clean.has(event.id)) {
      if (deadRecord) {
        dead++;
        count(deadRecord);
        tally('clean', event.tenant, 'deadLettered');
      } else if (
        progress &&
        notReached(event.raw, progress.sanitizer, progress.allowanceMs.clean, progress.now)
      ) {
        inFlight.push({
          stage: 'clean',
          id: event.id,
          tenant: event.tenant,
          detail: `${who} is on its way to the clean topic`,
        });
        tally('clean', event.tenant, 'inFlight');
      } else {
        gaps.push({
          stage: 'clean',
          id: event.id,
          tenant: event.tenant,
          detail: `${who} is in the raw topic but neither in the clean topic nor in a DLQ/quarantine record`,
        });
        tally('clean', event.tenant, 'gaps');
      }
      continue;
    }
    clean++;
    tally('clean', event.tenant, 'present');
    const position = cleanPositions?.get(event.id);
    const downstream = [
      {
        stage: 'index',
        has: sets.indexed,
        group: progress?.indexer,
        allowance: progress?.allowanceMs.index,
        where: 'index',
        dlq: 'indexer',
      },
      {
        stage: 'archive',
        has: sets.archived,
        group: progress?.archiver,
        allowance: progress?.allowanceMs.archive,
        where: 'archive',
        dlq: 'archiver',
      },
    ] as const;
    for (const d of downstream) {
      if (d.has.has(event.id)) {
        if (d.stage === 'index') indexed++;
        else archived++;
        tally(d.stage, event.tenant, 'present');
      } else if (deadRecord?.stage === d.dlq) {
        count(deadRecord);
        tally(d.stage, event.tenant, 'deadLettered');
      } else if (progress && notReached(position, d.group, d.allowance ?? 0, progress.now)) {
        inFlight.push({
          stage: d.stage,
          id: event.id,
          tenant: event.tenant,
          detail: `${who} is on its way to the ${d.where}`,
        });
        tally(d.stage, event.tenant, 'inFlight');
      } else {
        gaps.push({
          stage: d.stage,
          id: event.id,
          tenant: event.tenant,
          detail: `${who} is in the clean topic but not in the ${d.where}`,
        });
        tally(d.stage, event.tenant, 'gaps');
      }
    }
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
    } else if (
      progress &&
      notReached(
        sets.undecodableRawPositions?.get(position),
        progress.sanitizer,
        progress.allowanceMs.clean,
        progress.now,
      )
    ) {
      inFlight.push({
        stage: 'raw',
        detail: `raw record ${position} does not decode and is on its way to the DLQ`,
      });
    } else {
      gaps.push({ stage: 'raw', detail: `raw record ${position} does not decode and has no DLQ record` });
    }
  }
  const order = { clean: 0, index: 1, archive: 2 } as const;
  const inScope = sets.raw.filter((e) => !e.outOfScope).length;
  return {
    counts: {
      emitted: inScope - resends + missingSequences + sets.undecodableRaw.length,
      raw: inScope + sets.undecodableRaw.length,
      resends,
      clean,
      indexed,
      archived,
      deadLettered: dead,
      inFlight: inFlight.length,
    },
    deadLetterReasons: reasons,
    summary: [...summary.values()].sort(
      (a, b) => order[a.stage] - order[b.stage] || (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0),
    ),
    gaps,
    inFlight,
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
  /** Consumer groups whose committed positions tell lag from loss. */
  readonly groups?: { sanitizer?: string; indexer?: string; archiver?: string };
  /** The archiver's roll window: records younger than it (plus a minute) may not be archived yet. */
  readonly rollWindowMs?: number;
  /** How long a record may take through the processors or the indexer (default 60 s). */
  readonly lagAllowanceMs?: number;
  /** Defaults to the clock. */
  readonly now?: number;
  /** The occurred_at window the stages file by (default the contract's 24 h ahead, 30 days behind). */
  readonly window?: OccurredAtWindow;
}

export const DEFAULT_GROUPS = {
  sanitizer: 'auditflow-sanitizer',
  indexer: 'auditflow-indexer',
  archiver: 'auditflow-archiver',
} as const;

/** A group's committed positions on a topic; undefined when it has none (unknown group). */
async function committedPositions(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<CommittedPositions | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const known = (offsets?.partitions ?? []).filter((p) => p.offset !== '-1');
    return known.length === 0 ? undefined : new Map(known.map((p) => [p.partition, BigInt(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

const positionOf = (partition: number, message: KafkaMessage): TopicPosition => ({
  partition,
  offset: BigInt(message.offset),
  timestamp: Number(message.timestamp),
});

/** Reads every stage for the window and accounts for each event (see `reconcileStages`). */
export async function reconcile(
  deps: { kafka: Kafka; codec: WireCodec; es: Client; store: ArchiveStore },
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const since = options.from - (options.slackMs ?? 3_600_000);
  const at = (t: number) => t >= options.from && t <= options.to;
  const groups = { ...DEFAULT_GROUPS, ...options.groups };

  // The four reads each run to the end each partition had when they started: in parallel, once.
  // The stages' positions are read first: what they had passed then, they must have stored.
  const [sanitizer, indexer, archiver] = await Promise.all([
    committedPositions(deps.kafka, groups.sanitizer, options.topics.raw),
    committedPositions(deps.kafka, groups.indexer, options.topics.clean),
    committedPositions(deps.kafka, groups.archiver, options.topics.clean),
  ]);
  const now = options.now ?? Date.now();
  const raw: EmittedEvent[] = [];
  const undecodableRaw: string[] = [];
  const undecodableRawPositions = new Map<string, TopicPosition>();
  const rawRecord = async ({ partition, message }: RangeMessage) => {
    try {
      const event = await deps.codec.decode(message.value);
      // Its own time, or the time it is filed under when that lay outside the window.
      const filed = routingTime(
        {
          occurredAt: event.occurred_at,
          receivedAt: receivedAtOf(event),
          recordTimestamp: Number(message.timestamp),
        },
        options.window,
      );
      if (!at(event.occurred_at) && !(filed.basis === 'receipt' && at(filed.at))) return;
      raw.push({
        id: event.id,
        tenant: event.tenant_id,
        producer: event.producer.id,
        sequence: event.producer.sequence,
        raw: positionOf(partition, message),
        outOfScope: options.tenant !== undefined && event.tenant_id !== options.tenant,
      });
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      // Undecodable records carry no time or tenant: those written in the window count.
      if (at(Number(message.timestamp))) {
        const key = `${options.topics.raw}/${partition}/${message.offset}`;
        undecodableRaw.push(key);
        undecodableRawPositions.set(key, positionOf(partition, message));
      }
    }
  };

  const clean = new Map<string, TopicPosition>();
  const cleanRecord = async ({ partition, message }: RangeMessage) => {
    try {
      const id = (await deps.codec.decode(message.value)).id;
      if (!clean.has(id)) clean.set(id, positionOf(partition, message));
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
    }
  };
  const deadById = new Map<string, DeadLettered>();
  const deadByRawPosition = new Map<string, DeadLettered>();
  const deadRecord = async ({ message }: RangeMessage) => {
    const header = (name: string) => message.headers?.[name]?.toString() ?? '';
    const dead = {
      stage: header(HEADERS.stage) || 'unknown',
      reason: header(HEADERS.reason) || 'unknown',
    };
    try {
      deadById.set((await deps.codec.decode(message.value)).id, dead);
    } catch {
      deadByRawPosition.set(
        `${header(HEADERS.sourceTopic)}/${header(HEADERS.sourcePartition)}/${header(HEADERS.sourceOffset)}`,
        dead,
      );
    }
  };
  // Each record is accounted for as it is read and let go: a window of millions of events
  // would not fit in memory as records of four topics.
  const read = (topic: string, each: (record: RangeMessage) => Promise<void>) =>
    eachRecordSince(deps.kafka, topic, since, each);
  await Promise.all([
    read(options.topics.raw, rawRecord),
    read(options.topics.clean, cleanRecord),
    read(options.topics.dlq, deadRecord),
    read(options.topics.quarantine, deadRecord),
  ]);

  const indexed = new Set<string>();
  const ids = raw.flatMap((e) => (e.outOfScope ? [] : [e.id]));
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

  const lag = options.lagAllowanceMs ?? 60_000;
  return reconcileStages({
    raw,
    undecodableRaw,
    undecodableRawPositions,
    clean,
    indexed,
    archived,
    deadById,
    deadByRawPosition,
    progress: {
      now,
      sanitizer,
      indexer,
      archiver,
      allowanceMs: { clean: lag, index: lag, archive: (options.rollWindowMs ?? 30_000) + lag },
    },
  });
}
