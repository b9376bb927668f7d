/**
 * Vitest setup: the pipeline's stages write zstd (see platform/kafka/src/compression.ts), and a
 * test reading a topic with a bare kafkajs client needs the codec kafkajs lacks.
 */
import { registerZstd } from '@auditflow/kafka';

registerZstd();
