/**
 * `pnpm bench clients [--quick]` (issue 16): kafkajs 2.2.4, our client, against
 * `@platformatic/kafka`, in one run on the same fresh topics (6 partitions, deleted at the end),
 * with the pipeline's own ~1,050-byte Avro records:
 *
 *   produce   idempotent, acks=all, sends of 1,000 records one at a time (as the emit suite's bare
 *             kafkajs baseline), per compression each client has without native binaries
 *   consume   a new consumer group reads one input topic from the start
 *   eos       the processors' loop: read_committed -> each record to an output topic -> the input
 *             offset committed in the same transaction; one transactional producer per input
 *             partition (processors/runtime/src/partition-producers.ts), one transaction per
 *             fetched batch per partition, gzip, chunks of 256 KiB, six partitions at once
 *
 * Both clients sit behind one small interface (ClientUnderTest) so each step does the same work.
 * Produce, consume and eos passes run three times, alternating the clients; the median is
 * reported. Each eos pass writes its own output topic, read back afterwards (read_committed) to
 * check that every input record is there exactly once.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { createTopicsReady } from '@auditflow/kafka';
import { auditEventType, toAuditEvent } from '@auditflow/schemas';
import {
  type CompressionAlgorithmValue,
  FetchIsolationLevels,
  findErrorBy,
  MessagesStreamModes,
  Consumer as PlatformaticConsumer,
  type Message as PlatformaticMessage,
  Producer as PlatformaticProducer,
  ProduceAcks,
} from '@platformatic/kafka';
import { CompressionTypes, Kafka, type CompressionTypes as KafkajsCompression, logLevel } from 'kafkajs';
import { readCommitted } from '../support/consume.ts';
import { pipelineInputs } from './pipeline.ts';
import { printTable } from './stats.ts';

type Compression = 'none' | 'gzip' | 'lz4' | 'zstd';

interface Timing {
  /** From the call (connect, join and sync of the new group) to the assignment. */
  joinMs: number;
  /** From the assignment (offsets looked up, first fetch) to the last record read (consume) or committed (eos). */
  ms: number;
  /** eos only: transactions committed. */
  transactions?: number;
}

/** What each client does in this bench: the parts of the platform's Kafka use that matter here. */
interface ClientUnderTest {
  readonly name: 'kafkajs' | 'platformatic';
  /** Compressions the client has without a native add-on. */
  readonly compressions: readonly Compression[];
  /** Idempotent, acks=all, one send of SEND_RECORDS records at a time; ms spent sending. */
  produce(topic: string, records: readonly BenchRecord[], compression: Compression): Promise<number>;
  /** A new group reads `count` records of `topic` from its start. */
  consume(topic: string, groupId: string, count: number): Promise<Timing>;
  /** The processors' transactional loop from `input` to `output` until `count` are committed. */
  transactionalCopy(copy: CopyOptions): Promise<Timing>;
}

interface CopyOptions {
  input: string;
  output: string;
  groupId: string;
  count: number;
  /** The consumer's fetch limit per partition: what one fetched batch, one transaction, holds. */
  maxBytesPerPartition: number;
}

interface BenchRecord {
  key: Buffer;
  value: Buffer;
}

const PARTITIONS = 6;
const SEND_RECORDS = 1000;
/** As processors/runtime/src/processor.ts: one send per 256 KiB of a batch. */
const SEND_CHUNK_BYTES = 256 * 1024;
/** Fetch sizes of both clients, kafkajs' defaults (the processors' consumer sets the same). */
const MAX_BYTES_PER_PARTITION = 1_048_576;
const MAX_BYTES = 10_485_760;
const PASSES = 3;

/**
 * The eos loop twice: with the processors' fetch size (a backlog of gzip records: ~5,000 a
 * partition a fetch, so a few large transactions) and with fetches of one producer batch (~170
 * records a transaction: the per-transaction round trips weigh, as on a live stream).
 */
const EOS_VARIANTS = [
  { name: 'eos', label: 'eos loop, 1 MiB fetches', maxBytesPerPartition: MAX_BYTES_PER_PARTITION },
  { name: 'eos_small', label: 'eos loop, 16 KiB fetches', maxBytesPerPartition: 16_384 },
] as const;
/**
 * platformatic's stream is paused while this many fetched records wait for their transaction:
 * about one whole fetch (MAX_BYTES of gzip at ~5:1), as much as kafkajs holds. Lower, a pause in
 * the middle of a fetch splits its batches (the rest arrives as a burst of its own on resume).
 */
const PAUSE_AT_RECORDS = 50_000;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

function chunks<T extends { value: Buffer | null }>(items: readonly T[], maxBytes: number): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = item.value?.length ?? 0;
    if (current.length > 0 && bytes + size > maxBytes) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function withTimeout<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Counts records until `count`, noting when the group assigned the partitions. */
class Progress {
  readonly started = performance.now();
  private joinedAt = 0;
  done = 0;
  private resolveDone: () => void = () => {};
  private rejectDone: (err: Error) => void = () => {};
  readonly finished = new Promise<void>((resolve, reject) => {
    this.resolveDone = resolve;
    this.rejectDone = reject;
  });

  constructor(private readonly count: number) {}

  joined(): void {
    if (this.joinedAt === 0) this.joinedAt = performance.now();
  }

  add(n: number): void {
    this.done += n;
    if (this.done >= this.count) this.resolveDone();
  }

  fail(err: unknown): void {
    this.rejectDone(err instanceof Error ? err : new Error(String(err)));
  }

  timing(transactions?: number): Timing {
    const end = performance.now();
    const joined = this.joinedAt || this.started;
    return { joinMs: joined - this.started, ms: end - joined, transactions };
  }
}

function kafkajsClient(brokers: string[]): ClientUnderTest {
  const kafka = new Kafka({ clientId: 'bench-clients', brokers, logLevel: logLevel.NOTHING });
  const codec: Record<string, KafkajsCompression> = {
    none: CompressionTypes.None,
    gzip: CompressionTypes.GZIP,
  };
  return {
    name: 'kafkajs',
    // LZ4, ZSTD and Snappy need codecs from other packages (kafkajs-lz4, @kafkajs/zstd: native).
    compressions: ['none', 'gzip'],

    async produce(topic, records, compression) {
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const started = performance.now();
      for (let i = 0; i < records.length; i += SEND_RECORDS) {
        await producer.send({
          topic,
          acks: -1,
          compression: codec[compression],
          messages: records.slice(i, i + SEND_RECORDS).map((r) => ({ key: r.key, value: r.value })),
        });
      }
      const ms = performance.now() - started;
      await producer.disconnect();
      return ms;
    },

    async consume(topic, groupId, count) {
      const progress = new Progress(count);
      const consumer = kafka.consumer({
        groupId,
        maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
        maxBytes: MAX_BYTES,
      });
      consumer.on(consumer.events.GROUP_JOIN, () => progress.joined());
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          progress.add(batch.messages.length);
        },
      });
      try {
        await withTimeout(`kafkajs consume ${topic}`, 60_000 + count, progress.finished);
        return progress.timing();
      } finally {
        await consumer.disconnect();
      }
    },

    async transactionalCopy({ input, output, groupId, count, maxBytesPerPartition }) {
      const progress = new Progress(count);
      const producers = new Map<number, ReturnType<Kafka['producer']>>();
      let transactions = 0;
      const producerFor = async (partition: number) => {
        let producer = producers.get(partition);
        if (!producer) {
          producer = kafka.producer({
            transactionalId: `${groupId}-${input}-${partition}`,
            idempotent: true,
            maxInFlightRequests: 1,
            transactionTimeout: 30_000,
          });
          producers.set(partition, producer);
          await producer.connect();
        }
        return producer;
      };
      const consumer = kafka.consumer({
        groupId,
        readUncommitted: false,
        maxBytesPerPartition,
        maxBytes: MAX_BYTES,
      });
      consumer.on(consumer.events.GROUP_JOIN, () => progress.joined());
      await consumer.connect();
      await consumer.subscribe({ topic: input, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: PARTITIONS,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          const last = batch.messages.at(-1);
          if (!last) return;
          const producer = await producerFor(batch.partition);
          const transaction = await producer.transaction();
          try {
            for (const chunk of chunks(batch.messages, SEND_CHUNK_BYTES)) {
              await transaction.send({
                topic: output,
                acks: -1,
                compression: CompressionTypes.GZIP,
                messages: chunk.map((m) => ({ key: m.key, value: m.value })),
              });
            }
            await transaction.sendOffsets({
              consumerGroupId: groupId,
              topics: [
                {
                  topic: batch.topic,
                  partitions: [{ partition: batch.partition, offset: String(Number(last.offset) + 1) }],
                },
              ],
            });
            await transaction.commit();
          } catch (err) {
            await transaction.abort().catch(() => {});
            progress.fail(err);
            throw err;
          }
          transactions++;
          resolveOffset(last.offset);
          await heartbeat();
          progress.add(batch.messages.length);
        },
      });
      try {
        await withTimeout(`kafkajs eos ${input}`, 120_000 + count, progress.finished);
        return progress.timing(transactions);
      } finally {
        await consumer.disconnect();
        await Promise.all([...producers.values()].map((p) => p.disconnect()));
      }
    },
  };
}

/**
 * A transaction's first AddPartitionsToTxn right after the previous commit is refused with
 * CONCURRENT_TRANSACTIONS while the broker still writes that commit's markers; platformatic
 * retries every refusal after `retryDelay`, 1 s by default, which with batches queued behind each
 * other cost a second a transaction (1,806/s against kafkajs' 23,544/s with 16 KiB fetches).
 * The Java client backs off 20 ms for this error; so do we here, the rest keeps the default.
 */
function platformaticRetryDelay(
  _client: unknown,
  _operation: string,
  _attempt: number,
  _retries: number,
  error: Error,
): number {
  return findErrorBy(error, 'apiId', 'CONCURRENT_TRANSACTIONS') ? 20 : 1000;
}

function platformaticClient(brokers: string[]): ClientUnderTest {
  const base = { clientId: 'bench-clients', bootstrapBrokers: brokers };
  const consumerOptions = (groupId: string) => ({
    ...base,
    groupId,
    maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
    maxBytes: MAX_BYTES,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
  });
  return {
    name: 'platformatic',
    // zstd from node:zlib, lz4 (and snappy) from @platformatic/wasm-utils (WebAssembly).
    compressions: ['none', 'gzip', 'lz4', 'zstd'],

    async produce(topic, records, compression) {
      const producer = new PlatformaticProducer({
        ...base,
        idempotent: true,
        acks: ProduceAcks.ALL,
        compression: compression as CompressionAlgorithmValue,
      });
      await producer.initIdempotentProducer({}); // what kafkajs' connect() does for an idempotent producer
      const started = performance.now();
      for (let i = 0; i < records.length; i += SEND_RECORDS) {
        await producer.send({
          messages: records.slice(i, i + SEND_RECORDS).map((r) => ({ topic, key: r.key, value: r.value })),
        });
      }
      const ms = performance.now() - started;
      await producer.close();
      return ms;
    },

    async consume(topic, groupId, count) {
      const progress = new Progress(count);
      const consumer = new PlatformaticConsumer({ ...consumerOptions(groupId), autocommit: true });
      consumer.on('consumer:group:join', () => progress.joined());
      const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST });
      stream.on('data', () => {
        progress.add(1);
      });
      stream.on('error', (err) => progress.fail(err));
      try {
        await withTimeout(`platformatic consume ${topic}`, 60_000 + count, progress.finished);
        return progress.timing();
      } finally {
        await stream.close();
        await consumer.close();
      }
    },

    async transactionalCopy({ input, output, groupId, count, maxBytesPerPartition }) {
      const progress = new Progress(count);
      const consumer = new PlatformaticConsumer({
        ...consumerOptions(groupId),
        maxBytesPerPartition,
        autocommit: false,
      });
      consumer.on('consumer:group:join', () => progress.joined());
      const producers = new Map<number, PlatformaticProducer>();
      const producerFor = (partition: number): PlatformaticProducer => {
        let producer = producers.get(partition);
        if (!producer) {
          producer = new PlatformaticProducer({
            ...base,
            transactionalId: `${groupId}-${input}-${partition}`,
            idempotent: true,
            acks: ProduceAcks.ALL,
            compression: 'gzip',
            retryDelay: platformaticRetryDelay,
          });
          producers.set(partition, producer);
        }
        return producer;
      };
      let transactions = 0;
      let waiting = 0;
      const stream = await consumer.consume({
        topics: [input],
        mode: MessagesStreamModes.EARLIEST,
        isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      });

      // The stream hands over one message at a time, but all messages of one fetch response in
      // one synchronous burst: what a burst holds for a partition is that partition's fetched
      // batch (kafkajs' eachBatch). Each partition commits its batches in order, one
      // transaction each; partitions go at once.
      const queued = new Map<number, PlatformaticMessage[][]>();
      const busy = new Set<number>();
      let burst = new Map<number, PlatformaticMessage[]>();

      const transact = async (partition: number, batch: PlatformaticMessage[]): Promise<void> => {
        const last = batch.at(-1) as PlatformaticMessage;
        const transaction = await producerFor(partition).beginTransaction();
        try {
          for (const chunk of chunks(batch, SEND_CHUNK_BYTES)) {
            await transaction.send({
              messages: chunk.map((m) => ({ topic: output, key: m.key, value: m.value })),
            });
          }
          // AddOffsetsToTxn, then TxnOffsetCommit with the group generation and member id the
          // message was fetched under. Once per transaction: concurrent addOffset calls on one
          // producer share one request (the client deduplicates them under one key).
          await transaction.addConsumer(consumer);
          await transaction.addOffset(last);
          await transaction.commit();
        } catch (err) {
          await transaction.abort().catch(() => {});
          throw err;
        }
        transactions++;
      };

      const drain = (partition: number): void => {
        if (busy.has(partition)) return;
        const batch = queued.get(partition)?.shift();
        if (!batch) return;
        busy.add(partition);
        transact(partition, batch).then(
          () => {
            busy.delete(partition);
            waiting -= batch.length;
            progress.add(batch.length);
            if (stream.isPaused() && waiting < PAUSE_AT_RECORDS / 2) stream.resume();
            drain(partition);
          },
          (err) => progress.fail(err),
        );
      };

      const seal = (): void => {
        const sealed = burst;
        burst = new Map();
        for (const [partition, batch] of sealed) {
          const list = queued.get(partition) ?? [];
          list.push(batch);
          queued.set(partition, list);
          drain(partition);
        }
      };

      stream.on('data', (message: PlatformaticMessage) => {
        if (burst.size === 0) queueMicrotask(seal);
        const batch = burst.get(message.partition);
        if (batch) batch.push(message);
        else burst.set(message.partition, [message]);
        waiting++;
        if (waiting >= PAUSE_AT_RECORDS && !stream.isPaused()) stream.pause();
      });
      stream.on('error', (err) => progress.fail(err));
      try {
        await withTimeout(`platformatic eos ${input}`, 120_000 + count, progress.finished);
        return progress.timing(transactions);
      } finally {
        await stream.close();
        await consumer.close();
        await Promise.all([...producers.values()].map((p) => p.close()));
      }
    },
  };
}

/** `count` distinct records: the pipeline's bench events, Avro with the 5-byte framing. */
function benchRecords(count: number): BenchRecord[] {
  const inputs = pipelineInputs();
  const framing = Buffer.from([0, 0, 0, 0, 1]);
  return Array.from({ length: count }, (_, i) => {
    const event = toAuditEvent(inputs[i % inputs.length] as (typeof inputs)[number], {
      id: `01a20ce8-9421-762f-8562-${String(i).padStart(12, '0')}`,
      occurredAt: Date.now(),
      producerId: 'bench-clients',
      sequence: i + 1,
    });
    return { key: Buffer.from(`r${i}`), value: Buffer.concat([framing, auditEventType.toBuffer(event)]) };
  });
}

function machineLoad(): { line: string; load1: number } {
  let line: string;
  try {
    line = execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    line = `load average: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`;
  }
  return { line, load1: loadavg()[0] as number };
}

const rate = (n: number): string => `${Math.round(n).toLocaleString('en')}/s`;
const passes = (rates: readonly number[]): string =>
  rates.map((r) => Math.round(r).toLocaleString('en')).join(' / ');

export async function benchKafkaClients(options: {
  brokers: string;
  quick: boolean;
}): Promise<Record<string, number>> {
  const brokers = options.brokers.split(',');
  const count = options.quick ? 30_000 : 100_000;
  const loadBefore = machineLoad();
  const stamp = Date.now();
  const prefix = `bench.clients.${stamp}`;
  const clients = [kafkajsClient(brokers), platformaticClient(brokers)];
  const input = `${prefix}.in`;
  const produceTopic = (c: ClientUnderTest, compression: Compression) => `${prefix}.${c.name}.${compression}`;
  const outputTopic = (c: ClientUnderTest, variant: string, pass: number) =>
    `${prefix}.${c.name}.${variant}${pass}`;
  const outputs = clients.flatMap((client) =>
    EOS_VARIANTS.flatMap((variant) =>
      Array.from({ length: PASSES }, (_, pass) => ({
        client,
        variant,
        topic: outputTopic(client, variant.name, pass),
      })),
    ),
  );
  const topics = [
    input,
    ...clients.flatMap((c) => c.compressions.map((z) => produceTopic(c, z))),
    ...outputs.map((o) => o.topic),
  ];
  const groups: string[] = [];

  const admin = new Kafka({ clientId: 'bench-clients-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const result: Record<string, number> = {};
  const rows: [string, string][] = [];
  try {
    await createTopicsReady(
      admin,
      topics.map((topic) => ({ topic, numPartitions: PARTITIONS })),
    );
    const records = benchRecords(count);
    const bytes = Math.round(records.reduce((n, r) => n + r.value.length, 0) / records.length);
    // The consume and eos input, written as the SDK writes the raw topic (kafkajs, gzip).
    await (clients[0] as ClientUnderTest).produce(input, records, 'gzip');

    // a. produce: passes alternate the clients, each pass in the other order.
    const produced = new Map<string, number[]>();
    for (let pass = 0; pass < PASSES; pass++) {
      const order = pass % 2 === 0 ? clients : [...clients].reverse();
      for (const client of order) {
        for (const compression of client.compressions) {
          const ms = await client.produce(produceTopic(client, compression), records, compression);
          const key = `${client.name} ${compression}`;
          produced.set(key, [...(produced.get(key) ?? []), count / (ms / 1000)]);
        }
      }
    }

    // b. consume and c. eos, same alternation.
    const consumed = new Map<string, Timing[]>();
    const copied = new Map<string, Timing[]>();
    for (let pass = 0; pass < PASSES; pass++) {
      const order = pass % 2 === 0 ? clients : [...clients].reverse();
      for (const client of order) {
        const groupId = `${prefix}.${client.name}.consume${pass}`;
        groups.push(groupId);
        const timing = await client.consume(input, groupId, count);
        consumed.set(client.name, [...(consumed.get(client.name) ?? []), timing]);
      }
      for (const variant of EOS_VARIANTS) {
        for (const client of order) {
          const groupId = `${prefix}.${client.name}.${variant.name}${pass}`;
          groups.push(groupId);
          const timing = await client.transactionalCopy({
            input,
            output: outputTopic(client, variant.name, pass),
            groupId,
            count,
            maxBytesPerPartition: variant.maxBytesPerPartition,
          });
          const key = `${client.name} ${variant.name}`;
          copied.set(key, [...(copied.get(key) ?? []), timing]);
        }
      }
    }

    // Each eos output holds every input record exactly once (keys r0..r{count-1}).
    const eosCheck = new Map<string, { lost: number; doubled: number }>();
    for (const { client, variant, topic } of outputs) {
      const key = `${client.name} ${variant.name}`;
      const check = eosCheck.get(key) ?? { lost: 0, doubled: 0 };
      const seen = new Uint8Array(count);
      await readCommitted(
        topic,
        ({ message }) => {
          const i = Number(message.key?.toString().slice(1));
          if ((seen[i] ?? 0) > 0) check.doubled++;
          seen[i] = 1;
        },
        { brokers: options.brokers, timeoutMs: 60_000 },
      );
      check.lost += seen.reduce((n, s) => n + (s === 0 ? 1 : 0), 0);
      eosCheck.set(key, check);
    }

    const loadAfter = machineLoad();
    result.clients_records = count;
    result.clients_record_bytes = bytes;
    result.clients_load1_before = loadBefore.load1;
    result.clients_load1_after = loadAfter.load1;
    rows.push(['records per pass', `${count.toLocaleString('en')} of ${bytes} bytes (Avro + framing)`]);
    for (const [key, rates] of produced) {
      const [name, compression] = key.split(' ');
      result[`clients_${name}_produce_${compression}_per_s`] = median(rates);
      rows.push([`produce ${compression}, ${name}`, `${rate(median(rates))} (passes ${passes(rates)})`]);
    }
    for (const client of clients) {
      const timings = consumed.get(client.name) ?? [];
      const rates = timings.map((t) => count / (t.ms / 1000));
      const join = median(timings.map((t) => t.joinMs));
      result[`clients_${client.name}_consume_per_s`] = median(rates);
      result[`clients_${client.name}_consume_join_ms`] = join;
      rows.push([
        `consume (new group), ${client.name}`,
        `${rate(median(rates))} (passes ${passes(rates)}; group joined after ${Math.round(join)} ms)`,
      ]);
    }
    for (const variant of EOS_VARIANTS) {
      for (const client of clients) {
        const key = `${client.name} ${variant.name}`;
        const timings = copied.get(key) ?? [];
        const rates = timings.map((t) => count / (t.ms / 1000));
        const join = median(timings.map((t) => t.joinMs));
        const txns = median(timings.map((t) => t.transactions ?? 0));
        const check = eosCheck.get(key) ?? { lost: -1, doubled: -1 };
        const name = `clients_${client.name}_${variant.name}`;
        result[`${name}_per_s`] = median(rates);
        result[`${name}_join_ms`] = join;
        result[`${name}_transactions`] = txns;
        result[`${name}_lost`] = check.lost;
        result[`${name}_doubled`] = check.doubled;
        rows.push([
          `${variant.label}, ${client.name}`,
          `${rate(median(rates))} (passes ${passes(rates)}; ${txns} transactions, ` +
            `${Math.round(count / Math.max(1, txns))} records each; group joined after ${Math.round(join)} ms; ` +
            `output: ${check.lost} lost, ${check.doubled} doubled)`,
        ]);
      }
    }
    const ratio = (a: string, b: string): number => (result[a] as number) / (result[b] as number);
    result.clients_produce_gzip_ratio = ratio(
      'clients_platformatic_produce_gzip_per_s',
      'clients_kafkajs_produce_gzip_per_s',
    );
    result.clients_produce_none_ratio = ratio(
      'clients_platformatic_produce_none_per_s',
      'clients_kafkajs_produce_none_per_s',
    );
    result.clients_consume_ratio = ratio(
      'clients_platformatic_consume_per_s',
      'clients_kafkajs_consume_per_s',
    );
    result.clients_eos_ratio = ratio('clients_platformatic_eos_per_s', 'clients_kafkajs_eos_per_s');
    result.clients_eos_small_ratio = ratio(
      'clients_platformatic_eos_small_per_s',
      'clients_kafkajs_eos_small_per_s',
    );
    rows.push([
      'platformatic / kafkajs',
      `produce gzip ${result.clients_produce_gzip_ratio.toFixed(2)}, none ${result.clients_produce_none_ratio.toFixed(2)}; ` +
        `consume ${result.clients_consume_ratio.toFixed(2)}; eos ${result.clients_eos_ratio.toFixed(2)}, ` +
        `small fetches ${result.clients_eos_small_ratio.toFixed(2)}`,
    ]);
    rows.push(['load before', loadBefore.line]);
    rows.push(['load after', loadAfter.line]);
    printTable(`kafka clients — kafkajs 2.2.4 vs @platformatic/kafka, median of ${PASSES} passes`, rows);
    return result;
  } finally {
    await admin.deleteTopics({ topics }).catch((err: Error) => {
      process.stderr.write(`clients: deleting the bench topics failed: ${err.message}\n`);
    });
    await admin.deleteGroups(groups).catch(() => {});
    await admin.disconnect();
  }
}
