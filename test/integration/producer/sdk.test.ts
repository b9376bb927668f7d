import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopicsReady } from '@auditflow/kafka';
import {
  createAuditProducer,
  EventValidationError,
  SET_ASIDE_FILE,
  withCorrelation,
} from '@auditflow/producer';
import {
  type AuditEvent,
  auditEventType,
  HEADERS,
  RELEASED_SCHEMA_FILES,
  readSchema,
  toJsonForm,
} from '@auditflow/schemas';
import { AvroDeserializer, SchemaRegistryClient, SerdeType } from '@confluentinc/schemaregistry';
import avro from 'avsc';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The spool's own writer, to leave behind what an SDK of the previous schema version spooled.
import { Spool } from '../../../producers/sdk/src/spool.ts';
import { consumeAll } from '../../support/consume.ts';
import { endpoints, kafkaClient, registryClient, unique } from '../../support/endpoints.ts';
import { sampleEvent } from '../../support/events.ts';
import { avroRecord } from '../../support/records.ts';

describe('producer SDK against real Kafka and registry', () => {
  const topic = unique('it.raw');
  const admin = kafkaClient('sdk-test').admin();
  /** A producer's settings for the test topic on the local stack, with a spool of its own. */
  const onTopic = (dir = mkdtempSync(join(tmpdir(), 'sdk-spool-'))) => ({
    brokers: endpoints().KAFKA_BROKERS.split(','),
    schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL,
    topic,
    spool: { dir },
  });

  beforeAll(async () => {
    await admin.connect();
    await createTopicsReady(admin, [{ topic, numPartitions: 3 }]);
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it('delivers every event once, in order per correlation id, in the Confluent wire format', async () => {
    const producer = createAuditProducer(onTopic());
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
      expect(message.headers?.[HEADERS.sequence]?.toString()).toBe(String(event.producer.sequence));
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
    const producer = createAuditProducer(onTopic());
    const receipt = producer.emit(sampleEvent(7, { correlation_id: 'confluent-check' }));
    await producer.close();
    const messages = await consumeAll(topic);
    const ours = messages.find((m) => m.message.headers?.[HEADERS.eventId]?.toString() === receipt.id);
    expect(ours).toBeDefined();
    // Confluent's client (axios) has sat on one registry request until its timeout while the
    // registry answered others in milliseconds: 120 s in a CI rehearsal before a timeout was set,
    // then 10 s in two of three runs at load ~10 (2026-12-06), its retries sharing that timeout. Each attempt here gets its own client on
    // fresh sockets; a decoding problem still fails every attempt.
    const decode = async (): Promise<AuditEvent> => {
      const client = new SchemaRegistryClient({
        baseURLs: [endpoints().SCHEMA_REGISTRY_URL],
        createAxiosDefaults: { timeout: 10_000, httpAgent: new Agent({ keepAlive: false }) },
      });
      const deserializer = new AvroDeserializer(client, SerdeType.VALUE, {});
      return (await deserializer.deserialize(topic, ours?.message.value as Buffer)) as AuditEvent;
    };
    let value: AuditEvent | undefined;
    for (let attempt = 1; value === undefined; attempt++) {
      try {
        value = await decode();
      } catch (err) {
        if (attempt === 3 || !/timeout/i.test((err as Error).message)) throw err;
      }
    }
    expect(value.id).toBe(receipt.id);
    expect(value.action).toBe('gitlab.api.post_mr_note');
    expect(value.actor.email).toBe('user7@example.com');
    expect(JSON.parse(value.details as string)).toEqual(sampleEvent(7).details);
  });

  it('throws a clear error for a malformed event and spends no sequence number on it', async () => {
    const producer = createAuditProducer(onTopic());
    expect(() => producer.emit({ ...sampleEvent(1), outcome: 'maybe' as never })).toThrowError(
      EventValidationError,
    );
    expect(() => producer.emit({ ...sampleEvent(1), outcome: 'maybe' as never })).toThrowError(
      /outcome: must be one of/,
    );
    expect(producer.emit(sampleEvent(2)).sequence).toBe(1);
    await producer.close();
  });

  const decodedOn = async (name: string): Promise<AuditEvent[]> =>
    (await consumeAll(name)).map(
      (m) => auditEventType.fromBuffer((m.message.value as Buffer).subarray(5)) as AuditEvent,
    );

  it("stamps ingest (via sdk, its producer id, the emit time) over a forged one, and refuses the pipeline's tenant and audit.* unless the pipeline opts in", async () => {
    const producer = createAuditProducer(onTopic());
    const before = Date.now();
    const forged = {
      ...sampleEvent(80, { correlation_id: unique('sdk-forged') }),
      ingest: { via: 'gateway', client_id: 'ci-bot' },
    };
    const receipt = producer.emit(forged as never);
    for (const event of [
      sampleEvent(81, { tenant_id: 'auditflow' }),
      sampleEvent(82, { action: 'audit.log.exported' }),
    ]) {
      expect(() => producer.emit(event)).toThrowError(EventValidationError);
    }
    const both = (() => {
      try {
        producer.emit(sampleEvent(83, { tenant_id: 'auditflow', action: 'audit.archive.deleted' }));
      } catch (err) {
        return err as EventValidationError;
      }
      throw new Error('expected the system tenant and an audit.* action to be refused');
    })();
    expect(both.issues.map((i) => [i.field, i.rule])).toEqual([
      ['tenant_id', 'reserved_tenant'],
      ['action', 'reserved_action'],
    ]);
    const own = producer.emit(sampleEvent(84, { tenant_id: 'auditflow', action: 'audit.log.exported' }), {
      pipeline: true,
    });
    await producer.close();
    const events = await decodedOn(topic);
    const stamped = events.find((e) => e.id === receipt.id);
    expect(stamped?.ingest?.via).toBe('sdk');
    expect(stamped?.ingest?.client_id).toBe(producer.producerId);
    expect(stamped?.ingest?.received_at).toBeGreaterThanOrEqual(before);
    expect(events.find((e) => e.id === own.id)?.tenant_id).toBe('auditflow');
    expect(events.filter((e) => e.producer.id === producer.producerId)).toHaveLength(2);
  });

  it('refuses occurred_at outside the window before it reaches the spool; a configured window admits older history', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdk-spool-'));
    const config = onTopic(dir);
    const strict = createAuditProducer(config);
    const ancient = new Date(Date.now() - 90 * 86_400_000).toISOString();
    expect(() => strict.emit(sampleEvent(85, { occurred_at: ancient }))).toThrowError(
      /occurred_at: more than 30 d before/,
    );
    expect(() => strict.emit(sampleEvent(85, { occurred_at: '2999-01-01T00:00:00Z' }))).toThrowError(
      /occurred_at_ahead/,
    );
    expect(strict.depth).toBe(0);
    await strict.close();
    const importer = createAuditProducer({
      ...config,
      occurredAtWindow: { aheadMs: 60_000, behindMs: 400 * 86_400_000 },
    });
    const imported = importer.emit(sampleEvent(86, { occurred_at: ancient }));
    await importer.close();
    const event = (await decodedOn(topic)).find((e) => e.id === imported.id);
    expect(event?.occurred_at).toBe(Date.parse(ancient));
  });

  it('sets aside a spooled record the broker refuses (with reason and metric) and replays the rest after an outage', async () => {
    const small = unique('it.small-messages');
    await createTopicsReady(admin, [
      { topic: small, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '20000' }] },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'sdk-spool-'));
    const config = { schemaRegistryUrl: endpoints().SCHEMA_REGISTRY_URL, topic: small, spool: { dir } };
    // Kafka unreachable: everything waits in the spool.
    const offline = createAuditProducer(
      { ...config, brokers: ['127.0.0.1:1'], retry: { initialMs: 50, maxMs: 100 } },
      { logger: pino({ level: 'silent' }) },
    );
    const correlation = unique('set-aside');
    // Random text does not compress: about 100 KB on the wire, over the topic's 20,000 bytes.
    const big = sampleEvent(91, {
      correlation_id: correlation,
      details: { blob: randomBytes(75_000).toString('base64') },
    });
    const receipts = [
      offline.emit(sampleEvent(90, { correlation_id: correlation })),
      offline.emit(big),
      offline.emit(sampleEvent(92, { correlation_id: correlation })),
    ];
    await offline.close(500);
    const registry = new Registry();
    const online = createAuditProducer(
      { ...config, brokers: endpoints().KAFKA_BROKERS.split(',') },
      { logger: pino({ level: 'silent' }), metricsRegistry: registry },
    );
    expect(online.depth).toBe(3);
    await online.flush(30_000);
    await online.close();
    const ids = (await decodedOn(small)).map((e) => e.id);
    expect(ids).toEqual([receipts[0]?.id, receipts[2]?.id]);
    const setAside = readFileSync(join(dir, SET_ASIDE_FILE), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event_id: string; reason: string; body_base64: string });
    expect(setAside.map((r) => [r.event_id, r.reason])).toEqual([[receipts[1]?.id, 'MESSAGE_TOO_LARGE']]);
    expect(auditEventType.fromBuffer(Buffer.from(setAside[0]?.body_base64 ?? '', 'base64')).id).toBe(
      receipts[1]?.id,
    );
    expect(await registry.metrics()).toMatch(/audit_spool_set_aside_total\{reason="MESSAGE_TOO_LARGE"\} 1/);
    await admin.deleteTopics({ topics: [small] }).catch(() => {});
  });

  it('replays a spool written by the previous schema version (re-encoded) and sets aside a record no version reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdk-spool-'));
    // What a v2 producer left behind: a v2 body, then garbage with a valid frame checksum.
    const v2 = avro.Type.forSchema(readSchema(RELEASED_SCHEMA_FILES[1] as URL) as unknown as avro.Schema);
    const { ingest: _v3, ...old } = avroRecord({ schema_version: 2, id: randomUUID(), tenant_id: 'acme' });
    const spool = new Spool({ dir, maxBytes: 1 << 20 });
    spool.recover();
    spool.setProducerId('v2-producer');
    spool.append(
      1,
      { key: old.id, eventId: old.id, traceparent: '' },
      v2.toBuffer({ ...old, producer: { id: 'v2-producer', sequence: 1 } }),
    );
    spool.append(
      2,
      { key: 'garbage', eventId: 'garbage', traceparent: '' },
      Buffer.from('no schema reads this'),
    );
    spool.close();
    const registry = new Registry();
    const producer = createAuditProducer(onTopic(dir), {
      logger: pino({ level: 'silent' }),
      metricsRegistry: registry,
    });
    expect(producer.producerId).toBe('v2-producer');
    await producer.flush(30_000);
    await producer.close();
    const replayed = (await decodedOn(topic)).find((e) => e.id === old.id);
    expect(replayed).toMatchObject({ action: old.action, tenant_id: 'acme', ingest: null });
    expect(readFileSync(join(dir, SET_ASIDE_FILE), 'utf8')).toContain('"reason":"undecodable"');
    expect(await registry.metrics()).toMatch(/audit_spool_set_aside_total\{reason="undecodable"\} 1/);
  });
});
