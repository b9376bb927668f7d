import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { PIPELINE_COMPRESSION } from './compression.ts';

describe('zstd for kafkajs', () => {
  it('is registered on import and round-trips a record batch', async () => {
    expect(PIPELINE_COMPRESSION).toBe(CompressionTypes.ZSTD);
    const codec = CompressionCodecs[CompressionTypes.ZSTD]();
    const batch = Buffer.from('audit event '.repeat(500));
    const compressed: Buffer = await codec.compress({ buffer: batch });
    expect(compressed.length).toBeLessThan(batch.length / 10);
    // Zstandard frame magic (RFC 8878): what Java and librdkafka consumers expect.
    expect(compressed.readUInt32LE(0)).toBe(0xfd2fb528);
    expect(await codec.decompress(compressed)).toEqual(batch);
  });
});
