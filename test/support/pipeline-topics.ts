import { createTopicsReady } from '@auditflow/kafka';
import { kafkaClient, unique } from './endpoints.ts';

export interface PipelineTopics {
  readonly raw: string;
  readonly sanitized: string;
  readonly clean: string;
  readonly dlq: string;
  readonly quarantine: string;
}

/** A private copy of the five pipeline topics, so tests never see each other's events. */
export async function createPipelineTopics(prefix: string, partitions = 3): Promise<PipelineTopics> {
  const id = unique(prefix);
  const topics = {
    raw: `${id}.raw`,
    sanitized: `${id}.sanitized`,
    clean: `${id}.clean`,
    dlq: `${id}.dlq`,
    quarantine: `${id}.quarantine`,
  };
  const admin = kafkaClient('pipeline-topics').admin();
  await admin.connect();
  await createTopicsReady(
    admin,
    Object.values(topics).map((topic) => ({ topic, numPartitions: partitions })),
  );
  await admin.disconnect();
  return topics;
}

/**
 * The CLI flags naming a test's private pipeline topics and consumer groups, for `reconcile`
 * and `report` (which read the topics and the groups' committed offsets).
 */
export function pipelineFlags(
  topics: Omit<PipelineTopics, 'sanitized'>,
  groups: { readonly sanitizer: string; readonly indexer: string; readonly archiver: string },
): string[] {
  return [
    '--raw-topic',
    topics.raw,
    '--clean-topic',
    topics.clean,
    '--dlq-topic',
    topics.dlq,
    '--quarantine-topic',
    topics.quarantine,
    '--sanitizer-group',
    groups.sanitizer,
    '--indexer-group',
    groups.indexer,
    '--archiver-group',
    groups.archiver,
  ];
}
