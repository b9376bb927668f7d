import { createReadStream } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  type AuditEventInput,
  createAuditProducer,
  EventValidationError,
  FlushTimeoutError,
  kafkaSecurityFromEnv,
} from '@auditflow/producer';
import { Command } from 'commander';
import { pino } from 'pino';
import { commandEnv } from '../env.ts';

interface EmitOptions {
  file?: string;
  action?: string;
  outcome: string;
  actorType: string;
  actorId?: string;
  tenant?: string;
  service: string;
  category?: string;
  targetType?: string;
  targetId?: string;
  correlationId?: string;
  details?: string;
  timeout: string;
  topic: string;
}

function eventFromFlags(o: EmitOptions): AuditEventInput {
  if (!o.action) throw new Error('give --action (or --file with NDJSON events)');
  return {
    action: o.action,
    outcome: o.outcome as AuditEventInput['outcome'],
    category: o.category,
    actor: {
      type: o.actorType as AuditEventInput['actor']['type'],
      id: o.actorId ?? process.env.USER ?? 'cli',
    },
    target: o.targetType ? { type: o.targetType, id: o.targetId } : undefined,
    tenant_id: o.tenant as string,
    service: { name: o.service },
    correlation_id: o.correlationId,
    details: o.details === undefined ? undefined : JSON.parse(o.details),
  };
}

async function* ndjson(file: string): AsyncGenerator<{ line: number; event: unknown }> {
  const input = file === '-' ? process.stdin : createReadStream(file);
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    line += 1;
    if (text.trim() === '') continue;
    try {
      yield { line, event: JSON.parse(text) };
    } catch (err) {
      throw new Error(`line ${line}: not valid JSON (${(err as Error).message})`);
    }
  }
}

export function emitCommand(): Command {
  return new Command('emit')
    .description('emit audit events through the SDK: one from flags, or NDJSON from a file or stdin (-)')
    .option('-f, --file <path>', 'NDJSON file of events in the JSON form; - reads stdin')
    .option('--action <action>', 'dotted action, e.g. git.push')
    .option('--outcome <outcome>', 'success | failure | denied | unknown', 'success')
    .option(
      '--actor-type <type>',
      'user | service | webhook_event | poll_cycle | admin_action | agent | system',
      'user',
    )
    .option('--actor-id <id>', 'who did it (default: $USER)')
    .option('--tenant <id>', 'tenant (organisation) id')
    .option('--service <name>', 'emitting service name', 'auditflow-cli')
    .option('--category <category>', 'category')
    .option('--target-type <type>', 'target type, e.g. repository')
    .option('--target-id <id>', 'target id')
    .option('--correlation-id <id>', 'correlation id')
    .option('--details <json>', 'details as JSON')
    .option('--timeout <ms>', 'how long to wait for Kafka to acknowledge', '15000')
    .option('--topic <topic>', 'raw topic to write to', 'audit.raw.v1')
    .action(async (options: EmitOptions) => {
      const env = commandEnv();
      const spoolDir =
        process.env.AUDITFLOW_SPOOL_DIR ?? join(homedir(), '.cache', 'auditflow', 'spool', 'cli');
      const producer = createAuditProducer(
        {
          brokers: env.KAFKA_BROKERS.split(','),
          schemaRegistryUrl: env.SCHEMA_REGISTRY_URL,
          clientId: 'auditflow-cli',
          security: kafkaSecurityFromEnv(),
          topic: options.topic,
          defaults: options.tenant ? { tenant_id: options.tenant } : {},
          spool: { dir: spoolDir, onFull: 'block' },
        },
        { logger: pino({ level: 'warn' }, process.stderr) },
      );
      let count = 0;
      try {
        if (options.file) {
          for await (const { line, event } of ndjson(options.file)) {
            try {
              const receipt = await producer.emitAsync(event as AuditEventInput);
              process.stdout.write(`${receipt.id}\n`);
              count += 1;
            } catch (err) {
              if (err instanceof EventValidationError) throw new Error(`line ${line}: ${err.message}`);
              throw err;
            }
          }
        } else {
          process.stdout.write(`${producer.emit(eventFromFlags(options)).id}\n`);
          count = 1;
        }
        await producer.flush(Number(options.timeout));
        process.stderr.write(`emitted ${count} event(s); Kafka acknowledged all of them\n`);
      } catch (err) {
        if (err instanceof FlushTimeoutError) {
          process.stderr.write(
            `error: ${err.message}.\nThey are kept in ${spoolDir} and delivered by the next 'auditflow emit' once Kafka answers.\n`,
          );
          process.exitCode = 1;
          return;
        }
        throw err;
      } finally {
        await producer.close(1000);
      }
    });
}
