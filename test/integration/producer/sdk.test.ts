import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopicsReady } from '@auditflow/processor-runtime';
import { createAuditProducer, EventValidationError, withCorrelation } from '@auditflow/producer';
import { type AuditEvent, auditEventType, toJsonForm } from '@auditflow/schemas';
import { AvroDeserializer, SchemaRegistryClient, SerdeType } from '@confluentinc/schemaregistry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeAll } from '../../support/consume.ts';
import { endpoints, kafkaClient, registryClient, unique } from '../../support/endpoints.ts';
import { sampleEvent } from '../../support/events.ts';

describe('producer SDK against real Kafka and registry', () => {
  const topic = unique('it.raw');
  const admin = kafkaClient('sdk-test').admin();

  beforeAll(async () => {
    await admin.connect();
    await createTopicsReady(admin, [{ topic, numPartitions: 3 }]);
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it('delivers every event once, in order per correlation id, in the Confluent wire format', async () => {
    const producer = createAuditProducer({
      brokers: endpoints().KAFKA_BROKERS.split(','),
      schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL,
      topic,
      spool: { dir: mkdtempSync(join(tmpdir(), 'sdk-spool-')) },
    });
    const receipts = [];
    for (let i = 0; i < 200; i++) {
      const correlation = `corr-${i % 5}`;
      const context = {
        correlationId: correlation,
        traceId: `${'a'.repeat(31)}${i % 5}`,
        spanId: 'b'.repeat(16),
      };
      receipts.push(withCorrelation(context, () => producer.emit(sampleEvent(i))));
    }
    await producer.flush();
    await producer.close();
    expect(receipts.map((r) => r.sequence)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));

    const messages = await consumeAll(topic);
    expect(messages).toHaveLength(200);
    const { id: schemaId } = await registryClient()
      .getLatestSchemaId(`${topic}-value`)
      .then((id) => ({ id }));
    const decoded: AuditEvent[] = messages.map(({ message }) => {
      const value = message.value as Buffer;
      expect(value[0]).toBe(0);
      expect(value.readInt32BE(1)).toBe(schemaId);
      return auditEventType.fromBuffer(value.subarray(5)) as AuditEvent;
    });
    expect(new Set(decoded.map((e) => e.id)).size).toBe(200);
    for (const { message } of messages) {
      const event = auditEventType.fromBuffer((message.value as Buffer).subarray(5)) as AuditEvent;
      expect(message.key?.toString()).toBe(event.correlation_id);
      expect(message.headers?.traceparent?.toString()).toBe(`00-${event.trace_id}-${event.span_id}-01`);
      expect(message.headers?.['auditflow-sequence']?.toString()).toBe(String(event.producer.sequence));
    }
    // Per correlation id (one partition each), sequences arrive in emit order.
    const byCorrelation = new Map<string, number[]>();
    for (const event of decoded) {
      const list = byCorrelation.get(event.correlation_id ?? '') ?? [];
      list.push(event.producer.sequence);
      byCorrelation.set(event.correlation_id ?? '', list);
    }
    for (const sequences of byCorrelation.values())
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    const first = toJsonForm(decoded.find((e) => e.producer.sequence === 1) as AuditEvent);
    expect(first.details).toEqual(sampleEvent(0).details);
  });

  it("decodes with Confluent's own JavaScript serde, which we did not write", async () => {
    const producer = createAuditProducer({
      brokers: endpoints().KAFKA_BROKERS.split(','),
      schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL,
      topic,
      spool: { dir: mkdtempSync(join(tmpdir(), 'sdk-spool-')) },
    });
    const receipt = producer.emit(sampleEvent(7, { correlation_id: 'confluent-check' }));
    await producer.close();
    const messages = await consumeAll(topic);
    const ours = messages.find((m) => m.message.headers?.['auditflow-event-id']?.toString() === receipt.id);
    expect(ours).toBeDefined();
    const client = new SchemaRegistryClient({ baseURLs: [endpoints().SCHEMA_REGISTRY_URL] });
    const deserializer = new AvroDeserializer(client, SerdeType.VALUE, {});
    const value = (await deserializer.deserialize(topic, ours?.message.value as Buffer)) as AuditEvent;
    expect(value.id).toBe(receipt.id);
    expect(value.action).toBe('gitlab.api.post_mr_note');
    expect(value.actor.email).toBe('user7@example.com');
    expect(JSON.parse(value.details as string)).toEqual(sampleEvent(7).details);
  });

  it('throws a clear error for a malformed event and spends no sequence number on it', async () => {
    const producer = createAuditProducer({
      brokers: endpoints().KAFKA_BROKERS.split(','),
      schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL,
      topic,
      spool: { dir: mkdtempSync(join(tmpdir(), 'sdk-spool-')) },
    });
    expect(() => producer.emit({ ...sampleEvent(1), outcome: 'maybe' as never })).toThrowError(
      EventValidationError,
    );
    expect(() => producer.emit({ ...sampleEvent(1), outcome: 'maybe' as never })).toThrowError(
      /outcome: must be one of/,
    );
    expect(producer.emit(sampleEvent(2)).sequence).toBe(1);
    await producer.close();
  });
});
