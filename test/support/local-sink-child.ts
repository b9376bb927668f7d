/**
 * A producer process on a local sink, for the SIGTERM test: the sink comes from the environment
 * (AUDITFLOW_SINK=file, AUDITFLOW_SINK_FILE, ...) and the redaction keys too. Emits events with
 * a planted secret until SIGTERM, then closes the producer (writes what is buffered, fsyncs) and
 * prints `emitted <last sequence>`. Prints `started` once the first event is emitted. Usage:
 *   node --import tsx --conditions=auditflow-source local-sink-child.ts
 */
import { createAuditProducer, sinkFromEnv } from '@auditflow/producer';
import { pino } from 'pino';
import { PLANTED_SECRETS } from './secret-corpus.ts';

const producer = createAuditProducer(
  { sink: sinkFromEnv(process.env) },
  { logger: pino({ level: 'warn' }, process.stderr) },
);

let stopping = false;
let last = 0;
process.once('SIGTERM', () => {
  stopping = true;
});

for (let i = 0; !stopping; i++) {
  const receipt = await producer.emitAsync({
    tenant_id: 'acme',
    service: { name: 'local-sink-child' },
    action: 'deploy.run',
    actor: { type: 'service', id: 'ci' },
    outcome: 'success',
    details: { n: i, command: `deploy --token ${PLANTED_SECRETS.github}` },
  });
  last = receipt.sequence;
  if (i === 0) process.stdout.write('started\n');
  // Let the signal in between bursts.
  if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
}
await producer.close();
process.stdout.write(`emitted ${last}\n`);
