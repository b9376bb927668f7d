import { createTopicsReady } from '@auditflow/kafka';
import { kafkaSecurityFromEnv } from '@auditflow/producer';
import { Command } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { commandEnv } from '../env.ts';
import { topicSpecs } from '../topics.ts';

/** Creates the five audit topics where missing; reports each with its partition count. */
export async function ensureTopics(
  brokers: string,
  partitions: number,
): Promise<{ topic: string; state: 'created' | 'exists'; partitions: number }[]> {
  const admin = new Kafka({
    clientId: 'auditflow-cli',
    brokers: brokers.split(','),
    ...kafkaSecurityFromEnv(),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    const existing = new Set(await admin.listTopics());
    const specs = topicSpecs(partitions, cluster.brokers.length);
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) await createTopicsReady(admin, missing);
    const metadata = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
    return metadata.topics.map((t) => ({
      topic: t.name,
      state: missing.some((s) => s.topic === t.name) ? 'created' : 'exists',
      partitions: t.partitions.length,
    }));
  } finally {
    await admin.disconnect();
  }
}

export function topicsCommand(): Command {
  const topics = new Command('topics').description('the pipeline topics in Kafka');
  topics
    .command('create')
    .description('create the five audit topics where missing (idempotent)')
    .option('-p, --partitions <n>', 'partitions per topic (the unit of scale)', '6')
    .action(async (options: { partitions: string }) => {
      const partitions = Number(options.partitions);
      if (!Number.isInteger(partitions) || partitions < 1)
        throw new Error('--partitions must be a whole number >= 1');
      for (const t of await ensureTopics(commandEnv().KAFKA_BROKERS, partitions)) {
        process.stdout.write(`${t.topic}\t${t.state}\t${t.partitions} partitions\n`);
      }
    });
  return topics;
}
