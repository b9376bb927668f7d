import { writeFileSync } from 'node:fs';
import { renderTypes } from '../src/codegen.ts';
import { auditEventSchema } from '../src/schema.ts';

const target = new URL('../src/generated/audit-event.ts', import.meta.url);
writeFileSync(target, renderTypes(auditEventSchema, 'schemas/avro/audit-event.avsc'));
console.log(`wrote ${target.pathname}`);
