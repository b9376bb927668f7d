/**
 * A spool writer for the kill -9 test: appends batches (1-5 records) to a spool with tiny
 * segments (a roll every few records), fsyncs each, and prints "durable <last sequence>" only
 * after the fsync resolved; every few batches it acknowledges all but the newest few and prints
 * "acked <sequence>". It never stops by itself. Usage:
 *   node --import tsx --conditions=auditflow-source spool-child.ts <spool dir>
 */
// The spool class is internal to the SDK (not exported): the child imports its source.
import { Spool } from '../../producers/sdk/src/spool.ts';

const [dir] = process.argv.slice(2);
if (!dir) throw new Error('usage: spool-child <spool dir>');
const spool = new Spool({ dir, maxBytes: 1 << 30, segmentBytes: 4096 });
const recovered = spool.recover();
spool.setProducerId('crash-child');
let sequence = recovered.lastSequence;
const meta = { key: 'k', eventId: 'id', traceparent: '' };
for (let batch = 1; ; batch++) {
  const size = 1 + (batch % 5);
  const records = Array.from({ length: size }, () => {
    sequence += 1;
    return { sequence, meta, body: Buffer.alloc(300, sequence % 251) };
  });
  spool.appendAll(records);
  await spool.sync();
  process.stdout.write(`durable ${sequence}\n`);
  if (batch % 4 === 0) {
    spool.ack(sequence - 3, 'crash-child');
    process.stdout.write(`acked ${sequence - 3}\n`);
  }
}
