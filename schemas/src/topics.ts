/** The SPEC's topic names (binding). */
export const TOPICS = {
  raw: 'audit.raw.v1',
  sanitized: 'audit.sanitized.v1',
  clean: 'audit.clean.v1',
  dlq: 'audit.dlq.v1',
  quarantine: 'audit.quarantine.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];
