/**
 * A producer process for crash tests. Emits `count` events (0 = none) at a steady pace and
 * prints each receipt's sequence on its own line; with --drain it only delivers what its spool
 * holds, then prints "drained". Usage:
 *   tsx --conditions=auditflow-source emit-child.ts <spool dir> <brokers> <registry url> <topic> <count> [--drain]
 */
import { createAuditProducer } from '@auditflow/producer';
import { pino } from 'pino';
import { sampleEvent } from './events.ts';

const [spoolDir, brokers, registryUrl, topic, countText, mode] = process.argv.slice(2);
if (!spoolDir || !brokers || !registryUrl || !topic)
  throw new Error('usage: emit-child <spool> <brokers> <registry> <topic> <count>');

const producer = createAuditProducer(
  { brokers: brokers.split(','), schemaRegistryUrl: registryUrl, topic, spool: { dir: spoolDir } },
  { logger: pino({ level: 'warn' }, process.stderr) },
);

if (mode === '--drain') {
  await producer.flush(60_000);
  await producer.close();
  process.stdout.write('drained\n');
} else {
  const count = Number(countText);
  for (let i = 0; i < count; i++) {
    const receipt = producer.emit(sampleEvent(i, { correlation_id: `child-${i % 4}` }));
    process.stdout.write(`${receipt.sequence}\n`);
    if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await producer.close();
  process.stdout.write('done\n');
}
