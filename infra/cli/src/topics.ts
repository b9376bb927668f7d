import { TOPICS } from '@auditflow/schemas';
import type { ITopicConfig } from 'kafkajs';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Retention per topic: the clean topic is the replay source for subscribers (L2). */
const RETENTION_DAYS: Record<string, number> = {
  [TOPICS.raw]: 7,
  [TOPICS.sanitized]: 7,
  [TOPICS.clean]: 14,
  [TOPICS.dlq]: 30,
  [TOPICS.quarantine]: 30,
};

/** The five topics with settings that fit the cluster's size (replicas and min ISR). */
export function topicSpecs(partitions: number, brokers: number): ITopicConfig[] {
  const replicationFactor = Math.min(3, brokers);
  const minIsr = Math.max(1, Math.min(2, replicationFactor - 1));
  return Object.values(TOPICS).map((topic) => ({
    topic,
    numPartitions: partitions,
    replicationFactor,
    configEntries: [
      { name: 'retention.ms', value: String((RETENTION_DAYS[topic] ?? 7) * DAY_MS) },
      { name: 'cleanup.policy', value: 'delete' },
      { name: 'min.insync.replicas', value: String(minIsr) },
      { name: 'max.message.bytes', value: String(1_048_588) },
    ],
  }));
}
