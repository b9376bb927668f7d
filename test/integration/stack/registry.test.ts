import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { endpoints, registryClient, unique } from '../../support/endpoints.ts';

describe('schema registry (Confluent-compatible API)', () => {
  it('registers an Avro schema and round-trips a record in the Confluent wire format', async () => {
    const registry = registryClient();
    const subject = `${unique('smoke.registry')}-value`;
    const schema = JSON.stringify({
      type: 'record',
      name: 'Smoke',
      namespace: 'dev.auditflow.test',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'count', type: 'long' },
        { name: 'note', type: ['null', 'string'], default: null },
      ],
    });
    const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject });
    expect(id).toBeGreaterThan(0);

    const record = { id: 'a1', count: 42, note: 'héllo' };
    const bytes = await registry.encode(id, record);
    expect(bytes[0]).toBe(0); // magic byte
    expect(bytes.readInt32BE(1)).toBe(id); // schema id, big-endian
    expect(await registry.decode(bytes)).toEqual(record);

    // The subject is there through the plain REST API too. Asked by name: the list of all
    // subjects is paged (1,000 at most per page), and a long-lived stack holds more than that.
    const res = await fetch(
      `${endpoints().SCHEMA_REGISTRY_URL}/subjects/${encodeURIComponent(subject)}/versions`,
    );
    expect(res.status).toBe(200);
    expect((await res.json()) as number[]).toEqual([1]);
  });
});
