/**
 * read_committed against the real broker when transactions of several producers interleave on
 * one partition, as they do on our output topics (one transactional producer per input
 * partition, all writing every output partition). The broker lists a fetch's aborted
 * transactions in the order of their abort markers; kafkajs 2.2.4 only looked at the head of
 * that list, so a transaction that began first but was aborted last leaked its records to
 * read_committed readers: the indexer, archiver, streamer and the next processor saw events
 * that were never committed, and their retries as well (the chaos harness's "doubled").
 * patches/kafkajs@2.2.4.patch fixes the filter; this test fails without it.
 */
import { createTopicsReady } from '@auditflow/kafka';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeCommitted } from '../../support/consume.ts';
import { kafkaClient, unique } from '../../support/endpoints.ts';

describe('read_committed with interleaved aborted transactions (real broker)', () => {
  const kafka = kafkaClient(unique('read-committed'));
  const topic = unique('test.read-committed');
  const producers: Producer[] = [];

  const transactional = async (name: string): Promise<Producer> => {
    const producer = kafka.producer({
      transactionalId: unique(`read-committed-${name}`),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    producers.push(producer);
    return producer;
  };

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsReady(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    await admin.disconnect();
  });

  afterAll(async () => {
    await Promise.all(producers.map((p) => p.disconnect().catch(() => {})));
  });

  it('hides every record of an aborted transaction, whatever order the aborts came in', async () => {
    const [first, second, third] = [
      await transactional('a'),
      await transactional('b'),
      await transactional('c'),
    ];
    const send = (tx: Awaited<ReturnType<Producer['transaction']>>, value: string) =>
      tx.send({ topic, messages: [{ key: value, value }] });

    // offsets: 0 a1 (first, later aborted) · 1 b1 (second, aborted) · 2 abort(second) ·
    // 3 c1 (third, committed) · 4 commit(third) · 5 a2 · 6 abort(first)
    const a = await first.transaction();
    await send(a, 'aborted-first-1');
    const b = await second.transaction();
    await send(b, 'aborted-second-1');
    await b.abort();
    const c = await third.transaction();
    await send(c, 'committed-third-1');
    await c.commit();
    await send(a, 'aborted-first-2');
    await a.abort();
    const d = await third.transaction();
    await send(d, 'committed-third-2');
    await d.commit();

    const values = (await consumeCommitted(topic)).map((m) => m.message.value?.toString());
    expect(values).toEqual(['committed-third-1', 'committed-third-2']);
  });
});
