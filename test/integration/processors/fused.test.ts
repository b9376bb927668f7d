import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprint } from '@auditflow/enricher';
import type { Processor } from '@auditflow/processor-runtime';
import { createAuditProducer } from '@auditflow/producer';
import { type AuditEvent, auditEventType, HEADERS, toJsonForm } from '@auditflow/schemas';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeCount } from '../../support/consume.ts';
import { endpoints, kafkaClient, registryClient } from '../../support/endpoints.ts';
import { createPipelineTopics, type PipelineTopics } from '../../support/pipeline-topics.ts';
import { stageProcessor } from '../../support/processors.ts';
import { forbiddenFragments, ORDINARY_VALUES, secretEvents } from '../../support/secret-corpus.ts';

const decode = (value: Buffer | null): AuditEvent =>
  auditEventType.fromBuffer((value as Buffer).subarray(5)) as AuditEvent;

/**
 * The fused processor (the default of `auditflow up`): the same Processor and transforms its
 * service runs, on private topics. raw -> clean in one stage; nothing on the sanitized topic.
 */
describe('fused sanitizer + enricher against real Kafka', () => {
  let topics: PipelineTopics;
  let processor: Processor;

  beforeAll(async () => {
    topics = await createPipelineTopics('it.fused');
    processor = stageProcessor('fused', topics, { maxMessageBytes: 64 * 1024, dedupeWindow: 1000 });
    await processor.start();
  });
  afterAll(async () => {
    await processor.stop();
  });

  it('writes clean events with no planted secret, enriched and fingerprinted, and nothing to sanitized', async () => {
    const producer = createAuditProducer(
      {
        brokers: endpoints().KAFKA_BROKERS.split(','),
        schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL,
        topic: topics.raw,
        spool: { dir: mkdtempSync(join(tmpdir(), 'fused-spool-')) },
      },
      { logger: pino({ level: 'silent' }) },
    );
    const corpus = secretEvents();
    for (let round = 0; round < 10; round++) for (const event of corpus) producer.emit(event);
    await producer.close();
    const total = corpus.length * 10;

    const messages = await consumeCount(topics.clean, total);
    expect(messages).toHaveLength(total);
    const bytes = messages.map((m) => (m.message.value as Buffer).toString('latin1')).join('\n');
    const events = messages.map((m) => decode(m.message.value));
    const json = JSON.stringify(events.map(toJsonForm));
    expect(forbiddenFragments().filter((f) => bytes.includes(f) || json.includes(f))).toEqual([]);
    for (const [name, value] of Object.entries(ORDINARY_VALUES)) expect(json, name).toContain(value);
    for (const event of events) {
      expect(event.sanitization).not.toBeNull();
      // Anyone can recompute the fingerprint from the clean event, as after the split stages.
      expect(event.enrichment?.fingerprint).toBe(fingerprint(event));
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(total); // exactly once
    expect(await consumeCount(topics.sanitized, 1, { timeoutMs: 2000 })).toHaveLength(0);
  });

  it('quarantines what it cannot decode with the reason (never the DLQ), and goes on', async () => {
    const kafka = kafkaClient('fused-poison');
    const raw = kafka.producer();
    await raw.connect();
    const schemaId = await registryClient().getLatestSchemaId(`${topics.raw}-value`);
    const header = Buffer.alloc(5);
    header.writeInt32BE(schemaId, 1);
    await raw.send({
      topic: topics.raw,
      messages: [
        { key: 'p', value: Buffer.from('{"action":"git.push"}') },
        { key: 'p', value: Buffer.concat([header, Buffer.from([0xff, 0xfe, 0x01])]) },
      ],
    });
    await raw.disconnect();
    const quarantine = await consumeCount(topics.quarantine, 2);
    expect(quarantine.map((m) => m.message.headers?.[HEADERS.reason]?.toString()).sort()).toEqual([
      'corrupt_avro',
      'wrong_magic_byte',
    ]);
    expect(await consumeCount(topics.dlq, 1, { timeoutMs: 2000 })).toHaveLength(0);
  });
});
