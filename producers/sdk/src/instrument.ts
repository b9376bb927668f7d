import type { AuditEventInput } from '@auditflow/schemas';
import { classifyError } from './classify.ts';
import type { AuditEmitter } from './emitter.ts';

export type InstrumentedEvent = Omit<AuditEventInput, 'outcome' | 'duration_ms' | 'error'>;

/**
 * Wraps an external call (HTTP, git, LLM) and emits its audit event with outcome, duration and
 * error class filled in (P4). The call's result or error passes through unchanged.
 */
export async function instrument<T>(
  producer: AuditEmitter,
  event: InstrumentedEvent,
  call: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  let result: T;
  try {
    result = await call();
  } catch (err) {
    const { class: errorClass, code } = classifyError(err);
    producer.emit({
      ...event,
      outcome: errorClass === 'auth_failure' ? 'denied' : 'failure',
      duration_ms: performance.now() - started,
      error: {
        class: errorClass,
        code,
        message: err instanceof Error ? err.message.slice(0, 1000) : String(err),
      },
    });
    throw err;
  }
  producer.emit({ ...event, outcome: 'success', duration_ms: performance.now() - started });
  return result;
}
