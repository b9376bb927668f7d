import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Processor } from '@auditflow/processor-runtime';
import { createAuditProducer } from '@auditflow/producer';
import { type AuditEvent, auditEventSchema, auditEventType, HEADERS, toJsonForm } from '@auditflow/schemas';
import avro from 'avsc';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeCount } from '../../support/consume.ts';
import { endpoints, kafkaClient, registryClient } from '../../support/endpoints.ts';
import { sampleEvent } from '../../support/events.ts';
import { createPipelineTopics, type PipelineTopics } from '../../support/pipeline-topics.ts';
import { stageProcessor } from '../../support/processors.ts';
import { avroRecord } from '../../support/records.ts';
import { forbiddenFragments, ORDINARY_VALUES, secretEvents } from '../../support/secret-corpus.ts';

const decode = (value: Buffer | null): AuditEvent =>
  auditEventType.fromBuffer((value as Buffer).subarray(5)) as AuditEvent;

describe('sanitizer and enricher against real Kafka', () => {
  let topics: PipelineTopics;
  const processors: Processor[] = [];

  beforeAll(async () => {
    topics = await createPipelineTopics('it.pipe');
    processors.push(
      stageProcessor('sanitizer', topics, { maxMessageBytes: 64 * 1024 }),
      stageProcessor('enricher', topics),
    );
    await Promise.all(processors.map((p) => p.start()));
  });
  afterAll(async () => {
    await Promise.all(processors.map((p) => p.stop()));
  });

  it('lets no planted secret reach the sanitized or clean topic, and keeps ordinary values byte for byte', async () => {
    const producer = createAuditProducer(
      {
        brokers: endpoints().KAFKA_BROKERS.split(','),
        schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL,
        topic: topics.raw,
        spool: { dir: mkdtempSync(join(tmpdir(), 'pipe-spool-')) },
      },
      { logger: pino({ level: 'silent' }) },
    );
    const corpus = secretEvents();
    for (let round = 0; round < 25; round++) for (const event of corpus) producer.emit(event);
    await producer.close();
    const total = corpus.length * 25;

    for (const topic of [topics.sanitized, topics.clean]) {
      const messages = await consumeCount(topic, total);
      expect(messages).toHaveLength(total);
      // The bytes on the topic, and the decoded JSON form, both free of every fragment.
      const bytes = messages.map((m) => (m.message.value as Buffer).toString('latin1')).join('\n');
      const json = JSON.stringify(messages.map((m) => toJsonForm(decode(m.message.value))));
      const leaked = forbiddenFragments().filter((f) => bytes.includes(f) || json.includes(f));
      expect(leaked, topic).toEqual([]);
      for (const [name, value] of Object.entries(ORDINARY_VALUES))
        expect(json, `${topic}: ${name}`).toContain(value);
    }
    const clean = (await consumeCount(topics.clean, total, { settleMs: 0 })).map((m) =>
      decode(m.message.value),
    );
    expect(clean.every((e) => e.sanitization && e.enrichment)).toBe(true);
    expect(clean.find((e) => e.action === 'git.push')?.enrichment).toMatchObject({
      known_action: true,
      retention_class: 'extended',
    });
  });

  it('sends poison input to the DLQ or quarantine with a reason, and the events after it still arrive', async () => {
    const kafka = kafkaClient('poison');
    const raw = kafka.producer();
    await raw.connect();
    const schemaId = await registryClient().getLatestSchemaId(`${topics.raw}-value`);
    const header = (id: number) => {
      const h = Buffer.alloc(5);
      h.writeInt32BE(id, 1);
      return h;
    };
    // An event whose details are not JSON: a foreign producer's bug the sanitizer cannot parse.
    const writer = avro.Type.forSchema(auditEventSchema as unknown as avro.Schema);
    const good = (i: number) => ({
      ...decodeSample(i),
      id: `0192f7a4-6b1e-7c3d-9a4b-${String(900000 + i).padStart(12, '0')}`,
    });
    const broken = { ...good(0), details: '{"unterminated": ' };
    const before = [1, 2, 3].map((i) => ({
      key: `k${i}`,
      value: Buffer.concat([header(schemaId), writer.toBuffer(good(i))]),
    }));
    const after = [4, 5, 6].map((i) => ({
      key: `k${i}`,
      value: Buffer.concat([header(schemaId), writer.toBuffer(good(i))]),
    }));
    await raw.send({
      topic: topics.raw,
      messages: [
        ...before,
        { key: 'magic', value: Buffer.from('{"action":"git.push"}') },
        { key: 'unknown-id', value: Buffer.concat([header(987654321), writer.toBuffer(good(7))]) },
        {
          key: 'corrupt',
          value: Buffer.concat([header(schemaId), Buffer.from([0xff, 0xfe, 0x01, 0x02, 0x03])]),
        },
        { key: 'oversized', value: Buffer.concat([header(schemaId), Buffer.alloc(70 * 1024, 0x41)]) },
        { key: 'quarantine', value: Buffer.concat([header(schemaId), writer.toBuffer(broken)]) },
        ...after,
      ].map((m) => ({ ...m, key: 'same-partition' })),
    });
    await raw.disconnect();

    // Fail closed (S4): the sanitizer's undecodable input is raw, unsanitised bytes, so it goes
    // to the restricted quarantine topic, never to the DLQ that analysts may read.
    const quarantine = await consumeCount(topics.quarantine, 5);
    const reasons = Object.fromEntries(
      quarantine.map((m) => [m.message.headers?.[HEADERS.reason]?.toString(), m.message]),
    );
    expect(Object.keys(reasons).sort()).toEqual([
      'corrupt_avro',
      'oversized',
      'transform_failed',
      'unknown_schema_id',
      'wrong_magic_byte',
    ]);
    expect(reasons.wrong_magic_byte?.value?.toString()).toBe('{"action":"git.push"}'); // original bytes kept
    expect(reasons.unknown_schema_id?.headers?.[HEADERS.sourceTopic]?.toString()).toBe(topics.raw);
    expect(reasons.transform_failed?.headers?.[HEADERS.error]?.toString()).toMatch(/sanitizer failed/);
    expect(await consumeCount(topics.dlq, 1, { timeoutMs: 3000 })).toHaveLength(0);

    const ids = new Set(
      (await consumeCount(topics.clean, 6 + secretEvents().length * 25)).map(
        (m) => decode(m.message.value).id,
      ),
    );
    for (const i of [1, 2, 3, 4, 5, 6]) expect(ids.has(good(i).id)).toBe(true);
    expect(ids.has(broken.id)).toBe(false);
  });
});

/** A well-formed Avro record built like the SDK builds one. */
function decodeSample(i: number): AuditEvent {
  return avroRecord({
    actor: {
      type: 'user',
      id: `u${i}`,
      name: null,
      email: null,
      ip: null,
      user_agent: null,
      session_id: null,
    },
    details: JSON.stringify(sampleEvent(i).details),
    producer: { id: 'poison-test', sequence: i },
  });
}
