import { ConfigError, type KafkaSecurity } from '@auditflow/kafka';
import type { SanitizerContext } from '@auditflow/redaction';
import {
  occurredAtWindowFromEnv,
  systemTenantFromEnv,
  TENANT_ID_PATTERN,
  TENANT_ID_RULE,
} from '@auditflow/schemas';
import { z } from 'zod';
import { fileSinkSchema } from './sink-config.ts';

export const producerConfigSchema = z.strictObject({
  /** Kafka bootstrap servers, e.g. ['127.0.0.1:9092']. */
  brokers: z.array(z.string().min(1)).min(1, 'at least one broker'),
  /** Confluent-compatible registry base URL, e.g. http://127.0.0.1:8081/apis/ccompat/v7. */
  schemaRegistryUrl: z.url(),
  topic: z.string().min(1).default('audit.raw.v1'),
  clientId: z.string().min(1).default('auditflow-producer'),
  /** Filled into events that do not carry them. */
  defaults: z
    .strictObject({
      tenant_id: z.string().min(1).optional(),
      service: z
        .strictObject({
          name: z.string().min(1),
          version: z.string().optional(),
          instance: z.string().optional(),
          environment: z.string().optional(),
        })
        .optional(),
    })
    .default({}),
  spool: z.strictObject({
    /** One directory per producer instance: it holds the producer id and its sequence. */
    dir: z.string().min(1),
    maxBytes: z
      .number()
      .int()
      .positive()
      .default(256 * 2 ** 20),
    /** Full spool: 'fail' throws SpoolFullError from emit(); 'block' makes emitAsync() wait for room. */
    onFull: z.enum(['fail', 'block']).default('fail'),
  }),
  batch: z
    .strictObject({
      maxEvents: z.number().int().positive().default(1000),
    })
    .default({ maxEvents: 1000 }),
  /** zstd: a tenth of gzip's CPU at a smaller size on audit events (platform/kafka/src/compression.ts). */
  compression: z.enum(['zstd', 'gzip', 'none']).default('zstd'),
  /** Larger encoded events are refused (Kafka's default message limit is 1 MB). */
  maxEventBytes: z.number().int().positive().default(900_000),
  retry: z
    .strictObject({
      initialMs: z.number().positive().default(200),
      maxMs: z.number().positive().default(5000),
    })
    .default({ initialMs: 200, maxMs: 5000 }),
  /**
   * The pipeline's own tenant, which only `emit(event, { pipeline: true })` may write.
   * Default: `AUDITFLOW_SYSTEM_TENANT`, else `auditflow`.
   */
  systemTenant: z.string().regex(TENANT_ID_PATTERN, TENANT_ID_RULE).optional(),
  /**
   * How far `occurred_at` may lie from the emit() call. Default: `AUDITFLOW_OCCURRED_AT_MAX_AHEAD`
   * / `_MAX_BEHIND`, else 24 h ahead and 30 days back. Widen `behindMs` to import older history.
   */
  occurredAtWindow: z
    .strictObject({ aheadMs: z.number().positive(), behindMs: z.number().positive() })
    .optional(),
  /** TLS and SASL as kafkajs takes them; `kafkaSecurityFromEnv()` reads them from KAFKA_SSL* / KAFKA_SASL_*. */
  security: z
    .custom<KafkaSecurity>((v) => typeof v === 'object' && v !== null, 'an object with ssl and/or sasl')
    .optional(),
});

export type AuditProducerConfig = z.input<typeof producerConfigSchema>;
export type ResolvedProducerConfig = z.output<typeof producerConfigSchema> & {
  readonly systemTenant: string;
  readonly occurredAtWindow: { readonly aheadMs: number; readonly behindMs: number };
};

export { ConfigError };

/** Validates once at start, naming each bad setting. */
export function resolveProducerConfig(config: AuditProducerConfig): ResolvedProducerConfig {
  return resolveWith(producerConfigSchema, config);
}

/**
 * A producer writing to a local sink (stdout, a rotating JSONL file): the same settings less what
 * only Kafka needs (brokers, registry and spool may be given, e.g. by a program that picks its
 * sink from the environment, and are unused), plus the sink and the redaction context.
 */
export const localProducerConfigSchema = producerConfigSchema
  .partial({ brokers: true, schemaRegistryUrl: true, spool: true })
  .extend({
    sink: z.discriminatedUnion('kind', [z.strictObject({ kind: z.literal('stdout') }), fileSinkSchema]),
    /**
     * The sanitizer's rules, PII policy and keys (`createSanitizerContext`). Default: read from
     * the environment as the sanitizer reads it (`AUDITFLOW_PSEUDONYM_KEY`, `AUDITFLOW_REDACTION_KEY`, ...).
     */
    redaction: z
      .custom<SanitizerContext>(
        (v) => typeof v === 'object' && v !== null && 'ruleset' in v,
        'a context from createSanitizerContext()',
      )
      .optional(),
  });

export type LocalProducerConfig = z.input<typeof localProducerConfigSchema>;
export type ResolvedLocalProducerConfig = z.output<typeof localProducerConfigSchema> & {
  readonly systemTenant: string;
  readonly occurredAtWindow: { readonly aheadMs: number; readonly behindMs: number };
};

export function resolveLocalProducerConfig(config: LocalProducerConfig): ResolvedLocalProducerConfig {
  return resolveWith(localProducerConfigSchema, config);
}

function resolveWith<S extends typeof producerConfigSchema | typeof localProducerConfigSchema>(
  schema: S,
  config: z.input<S>,
): z.output<S> & Pick<ResolvedProducerConfig, 'systemTenant' | 'occurredAtWindow'> {
  const parsed = schema.safeParse(config);
  if (parsed.success) {
    try {
      const data = parsed.data as z.output<S>;
      return {
        ...data,
        systemTenant: data.systemTenant ?? systemTenantFromEnv(process.env),
        occurredAtWindow: data.occurredAtWindow ?? occurredAtWindowFromEnv(process.env),
      };
    } catch (err) {
      throw new ConfigError(`invalid audit producer configuration: ${(err as Error).message}`);
    }
  }
  const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
  throw new ConfigError(`invalid audit producer configuration: ${lines.join('; ')}`);
}
