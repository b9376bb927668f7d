import { createTopicsReady } from '@auditflow/kafka';
import type { Admin, EachMessagePayload } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClient, unique } from '../../support/endpoints.ts';

describe('Kafka (real broker)', () => {
  const kafka = kafkaClient('smoke-kafka');
  let admin: Admin;
  const topic = unique('smoke.kafka');

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await createTopicsReady(admin, [{ topic, numPartitions: 2, replicationFactor: 1 }]);
  });

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it('describes a KRaft cluster with a broker on the advertised address', async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);
    expect(cluster.brokers.map((b) => `${b.host}:${b.port}`)).toContain(
      process.env.KAFKA_BROKERS?.split(',')[0],
    );
  });

  it('accepts an idempotent acks=all producer and delivers what it sent', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 4}`, value: `idempotent-${i}` }));
    const acks = await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();
    expect(acks.every((ack) => ack.errorCode === 0)).toBe(true);

    const offsets = await admin.fetchTopicOffsets(topic);
    const total = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    expect(total).toBe(20);
  });

  it('lets a read_committed consumer see a committed transaction and not an aborted one', async () => {
    const txTopic = unique('smoke.tx');
    await createTopicsReady(admin, [{ topic: txTopic, numPartitions: 1 }]);
    const producer = kafka.producer({
      transactionalId: unique('smoke-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();

    const aborted = await producer.transaction();
    await aborted.send({ topic: txTopic, messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] });
    await aborted.abort();

    const committed = await producer.transaction();
    await committed.send({ topic: txTopic, messages: [{ value: 'committed-1' }, { value: 'committed-2' }] });
    await committed.commit();
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: unique('smoke-rc'), readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic: txTopic, fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`saw only ${JSON.stringify(seen)}`)), 60_000);
      void consumer.run({
        eachMessage: async ({ message }: EachMessagePayload) => {
          seen.push(message.value?.toString() ?? '');
          if (seen.length >= 2) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    // The aborted records sit before the committed ones in the log; had the consumer read them,
    // they would have arrived first.
    expect(seen).toEqual(['committed-1', 'committed-2']);
    await consumer.disconnect();

    const [partition] = await admin.fetchTopicOffsets(txTopic);
    // 2 aborted + abort marker + 2 committed + commit marker.
    expect(Number(partition?.high)).toBe(6);
    await admin.deleteTopics({ topics: [txTopic] });
  });
});
