/**
 * The one error base (after kafkajs' KafkaJSError): every error a stage throws on purpose says
 * whether trying the same thing again can succeed. Retriable ones end in a retry or a backoff;
 * the others in a DLQ or quarantine record with their reason, or, at start, in an exit with a
 * message a person can act on. `classifyFailure` reads the flag.
 */
export class AuditflowError extends Error {
  override readonly name: string = 'AuditflowError';
  readonly retriable: boolean = false;
}

/** A setting is missing or wrong: the message names it and the fix; the process exits with it. */
export class ConfigError extends AuditflowError {
  override readonly name: string = 'ConfigError';
}
