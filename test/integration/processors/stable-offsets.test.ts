/**
 * The stable committed-offset read (OffsetFetch v7, require_stable) against the real broker: while
 * a transaction holds a pending offset commit for a partition, the ordinary read (kafkajs,
 * OffsetFetch v4) answers the older offset, the stable read waits; once the transaction commits,
 * the stable read answers the new offset. This is the moment a processor taking over a partition
 * must not start in (issue 15: events written twice after a rebalance).
 */
import { StableOffsetReader } from '@auditflow/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaClient, unique } from '../../support/endpoints.ts';

describe('stable committed offsets (require_stable)', () => {
  const kafka = kafkaClient(unique('stable-offsets'));
  const admin = kafka.admin();
  const reader = new StableOffsetReader(kafka, { timeoutMs: 30_000 });

  afterAll(async () => {
    await reader.close();
    await admin.disconnect();
  });

  it('waits out a transaction holding an offset commit, then answers its offset', async () => {
    const topic = unique('stable-offsets');
    const groupId = unique('stable-offsets-group');
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    expect(await reader.committed(groupId, topic, 1)).toBe(-1); // never committed

    const producer = kafka.producer({
      transactionalId: unique('stable-offsets-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    try {
      const first = await producer.transaction();
      await first.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic, partitions: [{ partition: 1, offset: '7' }] }],
      });
      await first.commit();
      expect(await reader.committed(groupId, topic, 1)).toBe(7);

      const pending = await producer.transaction();
      await pending.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic, partitions: [{ partition: 1, offset: '42' }] }],
      });
      // Pending: the ordinary read gives the older offset; the stable read must not answer yet.
      const ordinary = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(ordinary[0]?.partitions.find((p) => p.partition === 1)?.offset).toBe('7');
      let answered: number | undefined;
      const stable = reader.committed(groupId, topic, 1).then((offset) => {
        answered = offset;
        return offset;
      });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(answered).toBeUndefined();
      // The other partition has nothing pending: answered at once.
      expect(await reader.committed(groupId, topic, 0)).toBe(-1);
      await pending.commit();
      expect(await stable).toBe(42);
    } finally {
      await producer.disconnect();
    }
  }, 60_000);
});
