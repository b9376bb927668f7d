import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { avroRecord } from '../../test/support/records.ts';
import { renderTypes } from './codegen.ts';
import { checkBackwardCompatible } from './compat.ts';
import { auditEventInputSchema } from './json-form.ts';
import {
  AUDIT_EVENT_SCHEMA_VERSION,
  type AvroRecordSchema,
  auditEventSchema,
  auditEventType,
  decodeAnyVersion,
  RELEASED_SCHEMA_FILES,
  readSchema,
} from './schema.ts';
import { fieldTags, untaggedFields } from './sensitivity.ts';

describe('AuditEvent schema', () => {
  it('tags every field at every depth with a sensitivity (E5)', () => {
    expect(untaggedFields(auditEventSchema)).toEqual([]);
    const tags = new Map(fieldTags(auditEventSchema).map((t) => [t.path, t.sensitivity]));
    expect(tags.get('actor.email')).toBe('pii');
    expect(tags.get('changes[].before')).toBe('internal');
    expect(tags.size).toBeGreaterThan(40);
  });

  it('finds an untagged field anywhere, so CI fails such a change', () => {
    const broken = JSON.parse(JSON.stringify(auditEventSchema)) as {
      fields: { name: string; type: unknown }[];
    };
    const actor = broken.fields.find((f) => f.name === 'actor') as { type: { fields: object[] } };
    actor.type.fields.push({ name: 'department', type: ['null', 'string'], default: null });
    expect(untaggedFields(broken as unknown as AvroRecordSchema)).toEqual(['actor.department']);
  });

  it('reads every released version (backward compatible, E4)', () => {
    expect(RELEASED_SCHEMA_FILES.length).toBe(AUDIT_EVENT_SCHEMA_VERSION);
    for (const file of RELEASED_SCHEMA_FILES) {
      expect(checkBackwardCompatible(auditEventSchema, readSchema(file))).toEqual({ compatible: true });
    }
  });

  it('detects an incompatible change: a new required field without default', () => {
    const next = JSON.parse(JSON.stringify(auditEventSchema)) as { fields: object[] };
    next.fields.push({ name: 'region', type: 'string', sensitivity: 'public' });
    const result = checkBackwardCompatible(next as unknown as AvroRecordSchema, auditEventSchema);
    expect(result.compatible).toBe(false);
    expect(result.reason).toMatch(/region/);
  });

  it('has TypeScript types generated from the schema as checked in', () => {
    const checkedIn = readFileSync(new URL('./generated/audit-event.ts', import.meta.url), 'utf8');
    expect(renderTypes(auditEventSchema, 'schemas/avro/audit-event.avsc')).toBe(checkedIn);
  });

  it('has a JSON form with exactly the Avro field names (less what the producer stamps)', () => {
    const avroTop = auditEventSchema.fields.map((f) => f.name).sort();
    const jsonTop = Object.keys(auditEventInputSchema.shape).sort();
    const stamped = ['producer', 'schema_version', 'sanitization', 'enrichment']; // set by the pipeline
    expect(jsonTop).toEqual(avroTop.filter((n) => !stamped.includes(n)));
    const nested = (name: string) =>
      (auditEventSchema.fields.find((f) => f.name === name)?.type as
        | { fields: { name: string }[] }
        | [string, { fields: { name: string }[] }]) ?? [];
    for (const name of ['actor', 'target', 'error', 'service', 'authorization'] as const) {
      const type = nested(name);
      const record = Array.isArray(type) ? type[1] : type;
      const avroFields = record.fields.map((f) => f.name).sort();
      // Unwrap .nullish() layers down to the object schema.
      let object = auditEventInputSchema.shape[name] as unknown as { shape?: object; unwrap?: () => unknown };
      while (!object.shape && object.unwrap) object = object.unwrap() as typeof object;
      expect(Object.keys(object.shape ?? {}).sort(), name).toEqual(avroFields);
    }
  });

  it('is accepted by avsc and has a stable fingerprint per version', () => {
    expect(auditEventType.name).toBe('dev.auditflow.v1.AuditEvent');
    expect(auditEventType.fingerprint('sha256').toString('hex')).toHaveLength(64);
  });
});

describe('decodeAnyVersion', () => {
  const v2 = avro.Type.forSchema(readSchema(RELEASED_SCHEMA_FILES[1] as URL) as unknown as avro.Schema);
  // A v2 record: everything but the ingest field v3 added.
  const { ingest: _v3, ...record } = avroRecord({ schema_version: 2 });

  it('reads a body a v2 producer spooled as a current record (ingest null)', () => {
    const decoded = decodeAnyVersion(v2.toBuffer(record));
    expect(decoded?.version).toBe(2);
    expect(decoded?.event).toEqual({ ...record, ingest: null });
    expect(auditEventType.isValid(decoded?.event)).toBe(true);
  });

  it('reads a current body as the current version, and nothing from garbage', () => {
    const current = { ...record, ingest: { via: 'sdk', client_id: 'p', received_at: 1 } };
    expect(decodeAnyVersion(auditEventType.toBuffer(current))).toEqual({
      event: current,
      version: AUDIT_EVENT_SCHEMA_VERSION,
    });
    expect(decodeAnyVersion(Buffer.from('not an avro record at all'))).toBeUndefined();
  });
});
