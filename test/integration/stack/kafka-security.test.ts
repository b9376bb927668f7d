import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopicsReady, kafkaWithLogger } from '@auditflow/kafka';
import { createAuditProducer, kafkaSecurityFromEnv } from '@auditflow/producer';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedicatedKafka } from '../../support/dedicated-servers.ts';
import { endpoints } from '../../support/endpoints.ts';
import { sampleEvent } from '../../support/events.ts';

/**
 * Kafka client authentication (SASL) through the settings every service and the SDK read
 * (KAFKA_SASL_*), against a broker of this test's own whose second listener requires SASL/PLAIN.
 */
describe('Kafka SASL settings (real broker with a SASL/PLAIN listener)', () => {
  const password = randomBytes(12).toString('hex');
  const broker = dedicatedKafka(19292, { port: 19294, users: { auditflow: password } });
  const saslBrokers = ['127.0.0.1:19294'];
  const logger = pino({ level: 'silent' });
  const env = (pass: string) => ({
    KAFKA_SASL_MECHANISM: 'plain',
    KAFKA_SASL_USERNAME: 'auditflow',
    KAFKA_SASL_PASSWORD: pass,
  });

  beforeAll(async () => {
    await broker.start();
  }, 180_000);
  afterAll(async () => {
    await broker.stop();
  });

  it('lets a client with the right credentials create, produce through the SDK and consume', async () => {
    const kafka = kafkaWithLogger('sasl-test', saslBrokers, logger, kafkaSecurityFromEnv(env(password)));
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsReady(admin, [{ topic: 'sasl.raw', numPartitions: 1 }]);
    await admin.disconnect();

    const producer = createAuditProducer(
      {
        brokers: saslBrokers,
        schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL,
        topic: 'sasl.raw',
        spool: { dir: mkdtempSync(join(tmpdir(), 'sasl-spool-')) },
        security: kafkaSecurityFromEnv(env(password)),
      },
      { logger },
    );
    const ids = Array.from({ length: 20 }, (_, i) => producer.emit(sampleEvent(i)).id);
    await producer.close(60_000);

    const consumer = kafka.consumer({ groupId: 'sasl-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'sasl.raw', fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          seen += 1;
          if (seen >= ids.length) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(seen).toBe(ids.length);
  }, 120_000);

  it('refuses a wrong password and a client without SASL, with an authentication error', async () => {
    const wrong = kafkaWithLogger(
      'sasl-wrong',
      saslBrokers,
      logger,
      kafkaSecurityFromEnv(env('wrong-password')),
    ).admin();
    await expect(wrong.connect()).rejects.toThrow(/SASL PLAIN authentication failed|Authentication failed/i);
    await wrong.disconnect().catch(() => {});

    // The broker answers ApiVersions before authentication, so connecting works; asking for anything fails.
    const anonymous = kafkaWithLogger('sasl-none', saslBrokers, logger, {}).admin();
    await expect(anonymous.connect().then(() => anonymous.listTopics())).rejects.toThrow();
    await anonymous.disconnect().catch(() => {});
  }, 120_000);
});
