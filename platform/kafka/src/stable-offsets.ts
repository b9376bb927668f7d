import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { AuditflowError } from './errors.ts';

/**
 * A group's committed offset that no transaction is still writing: OffsetFetch v7 with
 * `require_stable` (KIP-447). A processor that takes over a partition must start after
 * whatever its predecessor committed. The predecessor's last transaction is complete once our
 * producer id is initialised, but the group coordinator applies that transaction's offsets a
 * moment after its commit markers; an ordinary OffsetFetch in that moment answers the older
 * offset and the batch is written twice (seen in chaos runs: 5 and 11 events through the
 * enricher). With `require_stable` the coordinator answers UNSTABLE_OFFSET_COMMIT for a
 * partition with pending transactional offsets instead, and we ask again.
 *
 * kafkajs 2.2.4 speaks OffsetFetch up to v4 (no `require_stable`), so this sends v7 over
 * kafkajs' own connections (same brokers, TLS and SASL) with an encoder and decoder of ours,
 * the way kafkajs encodes its own flexible-version requests. It belongs in the platform's Kafka
 * client (issue 16), which replaces it when that client speaks KIP-447 itself.
 */

const OFFSET_FETCH = 9;
const VERSION = 7;
/** Error codes this reader acts on (the Kafka protocol's). */
export const KAFKA_ERRORS = {
  none: 0,
  coordinatorLoadInProgress: 14,
  coordinatorNotAvailable: 15,
  notCoordinator: 16,
  unsupportedVersion: 35,
  unstableOffsetCommit: 88,
} as const;
const RETRIABLE = new Set<number>([
  KAFKA_ERRORS.coordinatorLoadInProgress,
  KAFKA_ERRORS.coordinatorNotAvailable,
  KAFKA_ERRORS.notCoordinator,
  KAFKA_ERRORS.unstableOffsetCommit,
]);

// kafkajs' protocol encoder and decoder (no types, not in its public API; version pinned).
const requireKafkajs = createRequire(import.meta.url);
export interface KafkajsEncoder {
  writeInt32(v: number): KafkajsEncoder;
  writeBoolean(v: boolean): KafkajsEncoder;
  writeUVarIntString(v: string): KafkajsEncoder;
  writeUVarIntArray(v: KafkajsEncoder[], type?: 'object'): KafkajsEncoder;
  writeUVarIntBytes(v?: Buffer): KafkajsEncoder;
  buffer: Buffer;
}
interface KafkajsDecoder {
  readInt16(): number;
  readInt32(): number;
  readInt64(): { toString(): string };
  readUVarIntString(): string | null;
  readUVarIntArray<T>(reader: (d: KafkajsDecoder) => T): T[] | null;
  readTaggedFields(): unknown;
}
const Encoder = requireKafkajs('kafkajs/src/protocol/encoder') as new () => KafkajsEncoder;
const Decoder = requireKafkajs('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => KafkajsDecoder;

export interface StablePartitionOffset {
  readonly partition: number;
  /** -1 when the group never committed one. */
  readonly offset: number;
  readonly errorCode: number;
}

export interface StableOffsetResponse {
  readonly errorCode: number;
  readonly topics: { readonly topic: string; readonly partitions: StablePartitionOffset[] }[];
}

/**
 * OffsetFetch v7 request body: group_id [topics] require_stable TAG_BUFFER (flexible), as the
 * kafkajs encoder its connection frames (`.buffer` holds the bytes).
 */
export function encodeOffsetFetchV7(
  groupId: string,
  topic: string,
  partitions: readonly number[],
): KafkajsEncoder {
  return (
    new Encoder()
      // The request header's tagged fields: kafkajs writes header v1 and leaves v2's to the body.
      .writeUVarIntBytes()
      .writeUVarIntString(groupId)
      .writeUVarIntArray(
        [
          new Encoder()
            .writeUVarIntString(topic)
            .writeUVarIntArray(partitions.map((p) => new Encoder().writeInt32(p)))
            .writeUVarIntBytes(),
        ],
        'object',
      )
      .writeBoolean(true)
      .writeUVarIntBytes()
  );
}

/** OffsetFetch v7 response (after the correlation id): its header's tagged fields, then the body. */
export function decodeOffsetFetchV7(payload: Buffer): StableOffsetResponse {
  const decoder = new Decoder(payload);
  decoder.readTaggedFields();
  decoder.readInt32(); // throttle_time_ms
  const topics =
    decoder.readUVarIntArray((d) => {
      const topic = d.readUVarIntString() ?? '';
      const partitions =
        d.readUVarIntArray((p) => {
          const partition = p.readInt32();
          const offset = Number(p.readInt64().toString());
          p.readInt32(); // committed_leader_epoch
          p.readUVarIntString(); // metadata
          const errorCode = p.readInt16();
          p.readTaggedFields();
          return { partition, offset, errorCode };
        }) ?? [];
      d.readTaggedFields();
      return { topic, partitions };
    }) ?? [];
  const errorCode = decoder.readInt16();
  decoder.readTaggedFields();
  return { errorCode, topics };
}

/** The first error a response carries (top level, then per partition), 0 when none. */
export function firstError(response: StableOffsetResponse): number {
  if (response.errorCode !== KAFKA_ERRORS.none) return response.errorCode;
  for (const t of response.topics) for (const p of t.partitions) if (p.errorCode !== 0) return p.errorCode;
  return KAFKA_ERRORS.none;
}

/** Thrown when the broker is older than Kafka 2.5 (no OffsetFetch v7): the caller falls back. */
export class StableOffsetsUnsupportedError extends AuditflowError {
  override readonly name = 'StableOffsetsUnsupportedError';
  constructor() {
    super('the broker does not answer OffsetFetch v7 (require_stable): Kafka 2.5 or newer is needed');
    this.name = 'StableOffsetsUnsupportedError';
  }
}

interface KafkajsBroker {
  connectionPool: {
    send(request: {
      request: { apiKey: number; apiVersion: number; apiName: string; encode(): Promise<KafkajsEncoder> };
      response: { decode(payload: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
    }): Promise<unknown>;
  };
}
interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(args: { groupId: string }): Promise<KafkajsBroker>;
}

/**
 * Creates a kafkajs cluster with the client's own configuration (brokers, TLS, SASL, retry):
 * kafkajs keeps the factory under a private symbol on the Kafka instance.
 */
function clusterOf(kafka: Kafka): KafkajsCluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const create = symbol && (kafka as unknown as Record<symbol, unknown>)[symbol];
  if (typeof create !== 'function') throw new Error('kafkajs has no cluster factory (not kafkajs 2.2?)');
  return (create as (options: object) => KafkajsCluster)({});
}

/** Reads committed offsets with `require_stable`, waiting out pending transactional offsets. */
export class StableOffsetReader {
  private readonly cluster: KafkajsCluster;
  private connected: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    private readonly options: { timeoutMs?: number; retryMs?: number } = {},
  ) {
    this.cluster = clusterOf(kafka);
  }

  /** The partition's stable committed offset; -1 when the group never committed one. */
  async committed(groupId: string, topic: string, partition: number): Promise<number> {
    this.connected ??= this.cluster.connect();
    await this.connected;
    const deadline = Date.now() + (this.options.timeoutMs ?? 60_000);
    for (let attempt = 0; ; attempt++) {
      const coordinator = await this.cluster.findGroupCoordinator({ groupId });
      const response = (await coordinator.connectionPool.send({
        request: {
          apiKey: OFFSET_FETCH,
          apiVersion: VERSION,
          apiName: 'OffsetFetch',
          encode: async () => encodeOffsetFetchV7(groupId, topic, [partition]),
        },
        response: {
          decode: async (payload: Buffer) => decodeOffsetFetchV7(payload),
          parse: async (data: unknown) => data,
        },
      })) as StableOffsetResponse;
      const error = firstError(response);
      if (error === KAFKA_ERRORS.none) {
        const found = response.topics
          .find((t) => t.topic === topic)
          ?.partitions.find((p) => p.partition === partition);
        return found ? found.offset : -1;
      }
      if (error === KAFKA_ERRORS.unsupportedVersion) throw new StableOffsetsUnsupportedError();
      if (!RETRIABLE.has(error) || Date.now() > deadline) {
        throw new Error(
          `OffsetFetch (require_stable) for group ${groupId}, ${topic}/${partition}: Kafka error ${error}${RETRIABLE.has(error) ? ' until the deadline' : ''}`,
        );
      }
      await sleep(Math.min(1000, (this.options.retryMs ?? 50) * 2 ** Math.min(attempt, 5)));
    }
  }

  async close(): Promise<void> {
    if (this.connected) await this.cluster.disconnect();
  }
}
