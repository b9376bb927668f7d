import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Per-destination metrics (L4, O2); the `destination` label is the configured name. */
export interface DestinationMetrics {
  readonly up: Gauge<'destination'>;
  readonly deliveries: Counter<'destination'>;
  readonly failures: Counter<'destination'>;
  readonly batches: Counter<'destination' | 'result'>;
  readonly latency: Histogram<'destination'>;
  readonly lag: Gauge<'destination' | 'partition'>;
  readonly lastDelivery: Gauge<'destination'>;
  readonly undecodable: Counter<'destination'>;
  readonly deadLettered: Counter<'destination' | 'reason'>;
}

export function destinationMetrics(registry: Registry): DestinationMetrics {
  const registers = [registry];
  return {
    up: new Gauge({
      name: 'auditflow_destination_up',
      help: '1 while the destination takes deliveries, 0 while its circuit is open',
      labelNames: ['destination'],
      registers,
    }),
    deliveries: new Counter({
      name: 'auditflow_destination_delivered_events_total',
      help: 'Events the destination acknowledged',
      labelNames: ['destination'],
      registers,
    }),
    failures: new Counter({
      name: 'auditflow_destination_failures_total',
      help: 'Failed delivery attempts that are retried (connection errors, timeouts, 408, 429, 5xx, stage-wide 4xx)',
      labelNames: ['destination'],
      registers,
    }),
    batches: new Counter({
      name: 'auditflow_destination_batches_total',
      help: 'Delivery attempts by result: ok, failed (retried), refused (the receiver refused the content; the batch is split)',
      labelNames: ['destination', 'result'],
      registers,
    }),
    latency: new Histogram({
      name: 'auditflow_destination_delivery_seconds',
      help: 'Time the destination took to acknowledge a batch',
      labelNames: ['destination'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    lag: new Gauge({
      name: 'auditflow_destination_lag_messages',
      help: 'Records of the clean topic not yet delivered (or filtered) per partition',
      labelNames: ['destination', 'partition'],
      registers,
    }),
    lastDelivery: new Gauge({
      name: 'auditflow_destination_last_delivery_timestamp_seconds',
      help: 'When the destination last acknowledged a batch',
      labelNames: ['destination'],
      registers,
    }),
    undecodable: new Counter({
      name: 'auditflow_destination_undecodable_total',
      help: 'Records of the clean topic that cannot be read (undecodable or without a JSON form): dead-lettered',
      labelNames: ['destination'],
      registers,
    }),
    deadLettered: new Counter({
      name: 'auditflow_destination_dead_lettered_total',
      help: 'Records this destination set aside in the DLQ (unreadable, unrenderable in its format, or refused by the receiver), by reason',
      labelNames: ['destination', 'reason'],
      registers,
    }),
  };
}
