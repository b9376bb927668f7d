import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The producer's Prometheus metrics (P6). Pass a registry to share one with the application. */
export class ProducerMetrics {
  readonly registry: Registry;
  readonly entries: Counter<'action' | 'outcome'>;
  readonly invalid: Counter<'rule'>;
  readonly sinkErrors: Counter<'destination'>;
  readonly delivered: Counter;
  readonly spoolDepth: Gauge;
  readonly spoolBytes: Gauge;
  readonly spoolRejected: Counter;
  readonly spoolCorruptFrames: Counter;
  readonly setAside: Counter<'reason'>;
  readonly emitLatency: Histogram;

  /** `spool` is read when the registry is scraped, so the hot path never updates a gauge. */
  constructor(
    registry = new Registry(),
    spool: { depth(): number; bytes(): number } = { depth: () => 0, bytes: () => 0 },
  ) {
    this.registry = registry;
    const registers = [registry];
    this.entries = new Counter({
      name: 'audit_log_entries_total',
      help: 'Audit events accepted by emit(), by action and outcome',
      labelNames: ['action', 'outcome'],
      registers,
    });
    this.invalid = new Counter({
      name: 'audit_events_invalid_total',
      help: 'Events emit() refused as malformed, by the first rule they broke',
      labelNames: ['rule'],
      registers,
    });
    this.sinkErrors = new Counter({
      name: 'audit_log_sink_errors_total',
      help: 'Failed deliveries by destination: kafka (the events stay spooled and are retried), stdout or file (the line is lost; local sinks have no spool)',
      labelNames: ['destination'],
      registers,
    });
    this.delivered = new Counter({
      name: 'audit_events_delivered_total',
      help: 'Events the sink took: acknowledged by Kafka (acks=all), or written to stdout or the file',
      registers,
    });
    this.spoolDepth = new Gauge({
      name: 'audit_spool_depth_events',
      help: 'Events spooled and not yet acknowledged by Kafka (local sinks: handed to the sink, not yet written)',
      registers,
      collect() {
        this.set(spool.depth());
      },
    });
    this.spoolBytes = new Gauge({
      name: 'audit_spool_bytes',
      help: 'Bytes the spool holds on disk (local sinks: bytes not yet written)',
      registers,
      collect() {
        this.set(spool.bytes());
      },
    });
    this.spoolRejected = new Counter({
      name: 'audit_spool_rejected_total',
      help: 'Events refused because the spool (a local sink: its write buffer) was full (the caller got SpoolFullError)',
      registers,
    });
    this.spoolCorruptFrames = new Counter({
      name: 'audit_spool_corrupt_frames_total',
      help: 'Torn or corrupt spool frames found at recovery and skipped',
      registers,
    });
    this.setAside = new Counter({
      name: 'audit_spool_set_aside_total',
      help: 'Spooled events that can never be delivered (broker refusal, unreadable), kept in set-aside.ndjson',
      labelNames: ['reason'],
      registers,
    });
    this.emitLatency = new Histogram({
      name: 'audit_emit_latency_seconds',
      help: 'Time emit() takes: validation, encoding and spool append',
      buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01],
      registers,
    });
  }
}
