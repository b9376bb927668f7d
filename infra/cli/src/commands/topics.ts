import { Command } from 'commander';
import { Kafka, logLevel } from 'kafkajs';
import { commandEnv } from '../env.ts';
import { topicSpecs } from '../topics.ts';

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
      const env = commandEnv();
      const admin = new Kafka({
        clientId: 'auditflow-cli',
        brokers: env.KAFKA_BROKERS.split(','),
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      try {
        const { brokers } = await admin.describeCluster();
        const existing = new Set(await admin.listTopics());
        const specs = topicSpecs(partitions, brokers.length);
        const missing = specs.filter((s) => !existing.has(s.topic));
        if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
        const metadata = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
        for (const topic of metadata.topics) {
          const state = missing.some((s) => s.topic === topic.name) ? 'created' : 'exists';
          process.stdout.write(`${topic.name}\t${state}\t${topic.partitions.length} partitions\n`);
        }
      } finally {
        await admin.disconnect();
      }
    });
  return topics;
}
