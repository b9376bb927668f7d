/** The demo traffic generator `auditflow up --demo` runs: DEMO_RATE events per second. */
import { createAuditProducer, kafkaSecurityFromEnv } from '@auditflow/producer';
import { pino } from 'pino';
import { demoEvent } from './demo.ts';

const logger = pino({ name: 'auditflow-demo' });
const rate = Number(process.env.DEMO_RATE ?? 20);
const producer = createAuditProducer(
  {
    brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
    schemaRegistryUrl: process.env.SCHEMA_REGISTRY_URL ?? '',
    clientId: 'auditflow-demo',
    security: kafkaSecurityFromEnv(),
    spool: { dir: process.env.AUDITFLOW_SPOOL_DIR ?? '/tmp/auditflow-demo-spool' },
  },
  { logger },
);
let i = 0;
const timer = setInterval(() => {
  for (let k = 0; k < Math.max(1, Math.round(rate / 10)); k++) producer.emit(demoEvent(i++));
}, 100);
logger.info({ rate }, 'emitting demo traffic');
const stop = async (): Promise<void> => {
  clearInterval(timer);
  await producer.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
