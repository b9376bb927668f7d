import { readFileSync } from 'node:fs';
import avro from 'avsc';

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
