/**
 * Kafka protocol errors that refuse a record itself, not the connection: sending the same bytes
 * again fails the same way, so such a record is set aside instead of blocking the spool.
 */
const RECORD_REFUSALS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
]);

/**
 * The broker's refusal type (e.g. `MESSAGE_TOO_LARGE`) somewhere in a kafkajs error chain
 * (`cause`, aggregated `errors`), or undefined for anything else (transport trouble, retriable).
 */
export function brokerRefusal(error: unknown, depth = 0): string | undefined {
  if (depth > 5 || error === null || typeof error !== 'object') return undefined;
  const err = error as { type?: unknown; cause?: unknown; errors?: unknown };
  if (typeof err.type === 'string' && RECORD_REFUSALS.has(err.type)) return err.type;
  const fromCause = err.cause !== error ? brokerRefusal(err.cause, depth + 1) : undefined;
  if (fromCause) return fromCause;
  if (Array.isArray(err.errors)) {
    for (const inner of err.errors) {
      const found = brokerRefusal(inner, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}
