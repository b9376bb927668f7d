import {
  type AuditEvent,
  type AuditEventInput,
  auditEventType,
  EventValidationError,
  type IngestStampInput,
  reservedOriginIssues,
  toAuditEvent,
} from '@auditflow/schemas';
import { v7 as uuidv7 } from 'uuid';
import { currentCorrelation } from './correlation.ts';
import type { ProducerMetrics } from './metrics.ts';

/** How one emit() call is stamped. */
export interface EmitOptions {
  /**
   * The pipeline's own event: only then may it carry the system tenant
   * (`AUDITFLOW_SYSTEM_TENANT`) or an `audit.*` action. Auditflow's own code sets it (the
   * gateway's auth audit, the query API's export audit, the retention sweeper); nothing else should.
   */
  readonly pipeline?: boolean;
  /**
   * Where the event entered, for a door in front of the SDK: the gateway passes its
   * authenticated client. Default: `via: 'sdk'`, this producer's id, the time of the call.
   */
  readonly origin?: IngestStampInput;
}

/** What stamping reads from a producer's resolved configuration. */
export interface StampSettings {
  readonly defaults: {
    readonly tenant_id?: string | undefined;
    readonly service?: AuditEventInput['service'];
  };
  readonly systemTenant: string;
  readonly occurredAtWindow: { readonly aheadMs: number; readonly behindMs: number };
  readonly maxEventBytes: number;
}

/**
 * The SDK's filling and validation, one for every sink (Kafka and the local ones): defaults,
 * correlation, reserved origins, id, time, producer id and sequence, the contract's bounds, and
 * the encoded size. Throws EventValidationError, counted by its first rule.
 */
export class EventStamper {
  constructor(
    private readonly settings: StampSettings,
    private readonly producerId: string,
    private readonly metrics: ProducerMetrics,
  ) {}

  /** The stamped, validated event. */
  build(event: AuditEventInput, sequence: number, options: EmitOptions): AuditEvent {
    const defaults = this.settings.defaults;
    const correlation = currentCorrelation();
    // Only keys with values: a key holding `undefined` costs the validator its fast path.
    const input: AuditEventInput = { ...event };
    if (input.tenant_id === undefined && defaults.tenant_id !== undefined)
      input.tenant_id = defaults.tenant_id;
    if (input.service === undefined && defaults.service !== undefined) input.service = defaults.service;
    if (correlation) {
      if (input.correlation_id == null && correlation.correlationId)
        input.correlation_id = correlation.correlationId;
      if (input.trace_id == null && correlation.traceId) input.trace_id = correlation.traceId;
      if (input.span_id == null && correlation.spanId) input.span_id = correlation.spanId;
    }
    try {
      if (!options.pipeline) {
        const reserved = reservedOriginIssues(input, this.settings.systemTenant);
        if (reserved.length > 0) throw new EventValidationError(reserved);
      }
      const now = Date.now();
      return toAuditEvent(input, {
        id: uuidv7(),
        occurredAt: now,
        producerId: this.producerId,
        sequence,
        ingest: options.origin ?? { via: 'sdk', clientId: this.producerId, receivedAt: now },
        window: this.settings.occurredAtWindow,
      });
    } catch (err) {
      if (err instanceof EventValidationError)
        this.metrics.invalid.inc({ rule: err.issues[0]?.rule ?? 'unknown' });
      throw err;
    }
  }

  /** The Avro body of a stamped event; an event over maxEventBytes is refused as `max_size`. */
  encode(record: AuditEvent): Buffer {
    const body = auditEventType.toBuffer(record);
    if (body.length > this.settings.maxEventBytes) {
      this.metrics.invalid.inc({ rule: 'max_size' });
      throw new EventValidationError([
        {
          field: '',
          rule: 'max_size',
          message: `encoded event is ${body.length} bytes, over ${this.settings.maxEventBytes}`,
        },
      ]);
    }
    return body;
  }
}
