import { readFileSync } from 'node:fs';
import avro from 'avsc';
import type { AuditEvent } from './generated/audit-event.ts';

/** A field of an Avro record schema as written in our .avsc files (extra attributes allowed). */
export interface AvroField {
  readonly name: string;
  readonly type: AvroSchema;
  readonly default?: unknown;
  readonly doc?: string;
  readonly sensitivity?: string;
  readonly [attribute: string]: unknown;
}

export type AvroSchema =
  | string
  | readonly AvroSchema[]
  | {
      readonly type: string;
      readonly name?: string;
      readonly fields?: readonly AvroField[];
      readonly items?: AvroSchema;
      readonly values?: AvroSchema;
      readonly symbols?: readonly string[];
      readonly logicalType?: string;
      readonly [attribute: string]: unknown;
    };

export interface AvroRecordSchema {
  readonly type: 'record';
  readonly name: string;
  readonly namespace?: string;
  readonly fields: readonly AvroField[];
}

export function readSchema(file: URL | string): AvroRecordSchema {
  return JSON.parse(readFileSync(file, 'utf8')) as AvroRecordSchema;
}

export const AUDIT_EVENT_SCHEMA_FILE = new URL('../avro/audit-event.avsc', import.meta.url);
/** Every released version, oldest first: what consumers must keep reading (E4). */
export const RELEASED_SCHEMA_FILES = [
  new URL('../released/audit-event.v1.avsc', import.meta.url),
  new URL('../released/audit-event.v2.avsc', import.meta.url),
  new URL('../released/audit-event.v3.avsc', import.meta.url),
];

/** The current AuditEvent schema, attributes (sensitivity tags) included. */
export const auditEventSchema: AvroRecordSchema = readSchema(AUDIT_EVENT_SCHEMA_FILE);

/** The current version, as stamped into `schema_version`. */
export const AUDIT_EVENT_SCHEMA_VERSION = RELEASED_SCHEMA_FILES.length;

/** Compiled Avro type. Timestamps stay numbers (ms since epoch): no Date on the hot path. */
export const auditEventType = avro.Type.forSchema(auditEventSchema as unknown as avro.Schema);

/** Compiled released versions, newest first, each with a resolver into the current schema. */
let releasedResolvers: { version: number; resolver: avro.Resolver }[] | undefined;

/**
 * Decodes an Avro body (no Confluent header) written with the current schema or any released
 * one, as a current record; undefined when no version reads it exactly (no bytes missing or
 * left over). An SDK spool written before an upgrade replays through this.
 */
export function decodeAnyVersion(body: Buffer): { event: AuditEvent; version: number } | undefined {
  try {
    return { event: auditEventType.fromBuffer(body) as AuditEvent, version: AUDIT_EVENT_SCHEMA_VERSION };
  } catch {
    // not the current version: try the released ones
  }
  releasedResolvers ??= RELEASED_SCHEMA_FILES.map((file, i) => ({
    version: i + 1,
    resolver: auditEventType.createResolver(avro.Type.forSchema(readSchema(file) as unknown as avro.Schema)),
  })).reverse();
  for (const { version, resolver } of releasedResolvers) {
    try {
      return { event: auditEventType.fromBuffer(body, resolver) as AuditEvent, version };
    } catch {
      // next older version
    }
  }
  return undefined;
}
