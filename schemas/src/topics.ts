/** The SPEC's topic names (binding). */
export const TOPICS = {
  raw: 'audit.raw.v1',
  sanitized: 'audit.sanitized.v1',
  clean: 'audit.clean.v1',
  dlq: 'audit.dlq.v1',
  quarantine: 'audit.quarantine.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/**
 * The Kafka header names the pipeline writes and reads, in one place: producers stamp the event
 * id and sequence, every stage's dead-letter record says where it came from and why.
 */
export const HEADERS = {
  eventId: 'auditflow-event-id',
  producerId: 'auditflow-producer-id',
  sequence: 'auditflow-sequence',
  /** W3C trace context, carried from producer to clean topic. */
  traceparent: 'traceparent',
  sourceTopic: 'auditflow-source-topic',
  sourcePartition: 'auditflow-source-partition',
  sourceOffset: 'auditflow-source-offset',
  stage: 'auditflow-stage',
  reason: 'auditflow-reason',
  error: 'auditflow-error',
  replayed: 'auditflow-replayed',
  replayedFrom: 'auditflow-replayed-from',
} as const;
