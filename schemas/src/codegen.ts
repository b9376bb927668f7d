import type { AvroField, AvroRecordSchema, AvroSchema } from './schema.ts';

/**
 * Renders TypeScript declarations for an Avro record schema, so the types the code uses are
 * derived from the schema and cannot drift (a unit test compares with the checked-in file).
 */
export function renderTypes(schema: AvroRecordSchema, source: string): string {
  const declarations: string[] = [];
  const seen = new Set<string>();

  const typeOf = (type: AvroSchema): string => {
    if (typeof type === 'string') {
      switch (type) {
        case 'null':
          return 'null';
        case 'boolean':
          return 'boolean';
        case 'int':
        case 'long':
        case 'float':
        case 'double':
          return 'number';
        case 'string':
          return 'string';
        case 'bytes':
          return 'Buffer';
        default:
          return type.split('.').pop() ?? type; // a named type defined earlier
      }
    }
    if (Array.isArray(type)) return type.map((branch: AvroSchema) => typeOf(branch)).join(' | ');
    const complex = type as Exclude<AvroSchema, string | readonly AvroSchema[]>;
    switch (complex.type) {
      case 'record':
        return declareRecord(complex as unknown as AvroRecordSchema);
      case 'enum': {
        const name = complex.name ?? 'Enum';
        if (!seen.has(name)) {
          seen.add(name);
          const symbols = (complex.symbols ?? []).map((s) => `'${s}'`).join(' | ');
          declarations.push(
            `export type ${name} = ${symbols};\n\nexport const ${name}Symbols = [${(complex.symbols ?? []).map((s) => `'${s}'`).join(', ')}] as const;`,
          );
        }
        return name;
      }
      case 'array':
        return `${wrap(typeOf(complex.items ?? 'null'))}[]`;
      case 'map':
        return `Record<string, ${typeOf(complex.values ?? 'null')}>`;
      default:
        return typeOf(complex.type); // primitive with a logicalType
    }
  };

  const wrap = (t: string): string => (t.includes(' | ') ? `(${t})` : t);

  const field = (f: AvroField): string => {
    const doc = [f.doc, f.sensitivity ? `sensitivity: ${f.sensitivity}` : undefined]
      .filter(Boolean)
      .join(' — ');
    return `  /** ${doc} */\n  ${f.name}: ${typeOf(f.type)};`;
  };

  const declareRecord = (record: AvroRecordSchema): string => {
    if (seen.has(record.name)) return record.name;
    seen.add(record.name);
    const body = record.fields.map(field).join('\n');
    declarations.push(`export interface ${record.name} {\n${body}\n}`);
    return record.name;
  };

  declareRecord(schema);
  return `// Generated from ${source} by schemas/scripts/generate-types.ts. Do not edit: change the schema and run
// \`pnpm --filter @auditflow/schemas generate\`. Timestamps are milliseconds since the epoch (UTC).

${declarations.join('\n\n')}
`;
}
