import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuditProducer, createAuditProducer } from '@auditflow/producer';
import { TOPICS } from '@auditflow/schemas';
import { pino } from 'pino';
import { runCli } from './cli.ts';
import { endpoints } from './endpoints.ts';

/**
 * What `auditflow up` does first, for the e2e files: a fresh stack has neither the pipeline
 * topics nor the schema subjects. Throws with the CLI's output when a step fails.
 */
export async function createTopicsAndSchemas(env: NodeJS.ProcessEnv): Promise<void> {
  for (const args of [
    ['topics', 'create'],
    ['schemas', 'register'],
  ]) {
    const result = await runCli(args, env);
    if (result.code !== 0)
      throw new Error(`auditflow ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  }
}

/** An SDK producer onto the shared raw topic with a spool of its own, as a service would run one. */
export function rawTopicProducer(spoolPrefix: string): AuditProducer {
  return createAuditProducer(
    {
      brokers: endpoints().KAFKA_BROKERS.split(','),
      schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL,
      topic: TOPICS.raw,
      spool: { dir: mkdtempSync(join(tmpdir(), spoolPrefix)) },
    },
    { logger: pino({ level: 'silent' }) },
  );
}
