import type { AvroField, AvroRecordSchema, AvroSchema } from './schema.ts';

export const SENSITIVITIES = ['public', 'internal', 'pii', 'secret'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

export interface FieldTag {
  /** Dotted path in the JSON form; array items add `[]`, e.g. `changes[].before`. */
  readonly path: string;
  readonly sensitivity: Sensitivity | undefined;
}

/** The record schemas a field's type contains, with the path suffix to reach their fields. */
function nestedRecords(type: AvroSchema, suffix = ''): { fields: readonly AvroField[]; suffix: string }[] {
  if (typeof type === 'string') return [];
  if (Array.isArray(type)) return type.flatMap((branch: AvroSchema) => nestedRecords(branch, suffix));
  const complex = type as Exclude<AvroSchema, string | readonly AvroSchema[]>;
  if (complex.type === 'record' && complex.fields) return [{ fields: complex.fields, suffix }];
  if (complex.type === 'array' && complex.items) return nestedRecords(complex.items, `${suffix}[]`);
  if (complex.type === 'map' && complex.values) return nestedRecords(complex.values, `${suffix}{}`);
  return [];
}

/** Every field at every depth with its sensitivity tag (undefined where it has none). */
export function fieldTags(schema: AvroRecordSchema): FieldTag[] {
  const out: FieldTag[] = [];
  const walk = (fields: readonly AvroField[], prefix: string): void => {
    for (const field of fields) {
      const path = `${prefix}${field.name}`;
      const tag = field.sensitivity;
      out.push({
        path,
        sensitivity: (SENSITIVITIES as readonly string[]).includes(tag ?? '')
          ? (tag as Sensitivity)
          : undefined,
      });
      for (const nested of nestedRecords(field.type)) walk(nested.fields, `${path}${nested.suffix}.`);
    }
  };
  walk(schema.fields, '');
  return out;
}

/** Paths of fields without a valid sensitivity tag (E5: CI fails on any). */
export function untaggedFields(schema: AvroRecordSchema): string[] {
  return fieldTags(schema)
    .filter((tag) => tag.sensitivity === undefined)
    .map((tag) => tag.path);
}

/** Path -> tag, for the sanitizer's field policy. */
export function sensitivityMap(schema: AvroRecordSchema): ReadonlyMap<string, Sensitivity> {
  return new Map(fieldTags(schema).flatMap((t) => (t.sensitivity ? [[t.path, t.sensitivity] as const] : [])));
}
