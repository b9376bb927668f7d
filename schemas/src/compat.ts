import avro from 'avsc';
import type { AvroRecordSchema } from './schema.ts';

export interface CompatibilityResult {
  readonly compatible: boolean;
  readonly reason?: string;
}

/**
 * Backward compatibility (E4): can a consumer on `reader` decode data written with `writer`?
 * Uses Avro's schema-resolution rules as implemented by avsc's resolver.
 */
export function checkBackwardCompatible(
  reader: AvroRecordSchema,
  writer: AvroRecordSchema,
): CompatibilityResult {
  const readerType = avro.Type.forSchema(reader as unknown as avro.Schema);
  const writerType = avro.Type.forSchema(writer as unknown as avro.Schema);
  try {
    readerType.createResolver(writerType);
    return { compatible: true };
  } catch (err) {
    return { compatible: false, reason: (err as Error).message };
  }
}
