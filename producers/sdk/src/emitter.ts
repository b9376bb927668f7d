import type { AuditEventInput } from '@auditflow/schemas';
import type { AuditProducerConfig, LocalProducerConfig } from './config.ts';
import { LocalAuditProducer, type LocalProducerOptions } from './local.ts';
import type { ProducerMetrics } from './metrics.ts';
import { AuditProducer, type AuditProducerOptions, type EmitReceipt } from './producer.ts';
import type { SinkConfig } from './sink-config.ts';
import type { EmitOptions } from './stamp.ts';

/** What a program emits through, whichever sink is behind it (Kafka, stdout, a JSONL file). */
export interface AuditEmitter {
  readonly producerId: string;
  readonly metrics: ProducerMetrics;
  /** Events accepted and not yet delivered (Kafka) or written (local sinks). */
  readonly depth: number;
  readonly connected: boolean;
  emit(event: AuditEventInput, options?: EmitOptions): EmitReceipt;
  emitAll(events: readonly AuditEventInput[], options?: EmitOptions): EmitReceipt[];
  emitAsync(event: AuditEventInput, options?: EmitOptions): Promise<EmitReceipt>;
  emitDurable(event: AuditEventInput, options?: EmitOptions): Promise<EmitReceipt>;
  emitAllDurable(events: readonly AuditEventInput[], options?: EmitOptions): Promise<EmitReceipt[]>;
  flush(timeoutMs?: number): Promise<void>;
  close(timeoutMs?: number): Promise<void>;
}

type KafkaOnly = 'brokers' | 'schemaRegistryUrl' | 'spool';

/**
 * A configuration whose sink is chosen at run time (e.g. `sink: sinkFromEnv()`): the Kafka
 * settings are needed only when the sink is Kafka, `redaction` only by the local sinks.
 */
export type AuditEmitterConfig = Omit<AuditProducerConfig, KafkaOnly> &
  Partial<Pick<AuditProducerConfig, KafkaOnly>> & {
    readonly sink?: SinkConfig;
    readonly redaction?: LocalProducerConfig['redaction'];
  };

/**
 * The producer for a configuration: Kafka through the spool (no `sink`, or `{ kind: 'kafka' }`),
 * or a local sink (`{ kind: 'stdout' }`, `{ kind: 'file', path, ... }`).
 */
export function createAuditProducer(
  config: AuditProducerConfig,
  options?: AuditProducerOptions,
): AuditProducer;
export function createAuditProducer(config: AuditEmitterConfig, options?: LocalProducerOptions): AuditEmitter;
export function createAuditProducer(
  config: AuditEmitterConfig,
  options?: LocalProducerOptions,
): AuditEmitter {
  const { sink, redaction, ...rest } = config;
  if (sink === undefined || sink.kind === 'kafka') {
    // The Kafka settings are checked by the producer's schema (missing brokers name `brokers`).
    return new AuditProducer(rest as AuditProducerConfig, options);
  }
  return new LocalAuditProducer({ ...rest, sink, redaction }, options);
}
