import {
  auditEventSchema,
  checkBackwardCompatible,
  RELEASED_SCHEMA_FILES,
  readSchema,
  TOPICS,
  untaggedFields,
} from '@auditflow/schemas';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Command } from 'commander';
import { commandEnv } from '../env.ts';

/** Registers the AuditEvent schema as `<topic>-value` for the topics that carry events. */
export async function registerSchemas(registryUrl: string): Promise<{ subject: string; id: number }[]> {
  const registry = new SchemaRegistry({ host: registryUrl });
  const out: { subject: string; id: number }[] = [];
  for (const topic of [TOPICS.raw, TOPICS.sanitized, TOPICS.clean]) {
    const subject = `${topic}-value`;
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(auditEventSchema) },
      { subject },
    );
    out.push({ subject, id });
  }
  return out;
}

export function schemasCommand(): Command {
  const schemas = new Command('schemas').description('the Avro event contract');
  schemas
    .command('register')
    .description('register the AuditEvent schema for every topic that carries it (subject <topic>-value)')
    .action(async () => {
      for (const r of await registerSchemas(commandEnv().SCHEMA_REGISTRY_URL)) {
        process.stdout.write(`${r.subject}\tschema id ${r.id}\n`);
      }
    });
  schemas
    .command('check')
    .description('fail when a field has no sensitivity tag or the schema cannot read a released version')
    .action(() => {
      const problems = untaggedFields(auditEventSchema).map(
        (path) => `untagged field: ${path} (add "sensitivity")`,
      );
      for (const file of RELEASED_SCHEMA_FILES) {
        const result = checkBackwardCompatible(auditEventSchema, readSchema(file));
        if (!result.compatible) problems.push(`cannot read ${file.pathname}: ${result.reason}`);
      }
      if (problems.length > 0) {
        process.stderr.write(`${problems.join('\n')}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(
        `schema ok: every field tagged, reads ${RELEASED_SCHEMA_FILES.length} released version(s)\n`,
      );
    });
  return schemas;
}
