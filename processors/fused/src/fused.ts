import { type EnricherContext, enrichEvent } from '@auditflow/enricher';
import { type SanitizerContext, sanitizeEvent } from '@auditflow/sanitizer';
import type { Transform } from '@auditflow/stage';

/**
 * Both stages' pure transforms on one decoded event: sanitize, then enrich what the sanitizer
 * made. The event never leaves the process between them, so the sanitized topic is not written,
 * and a failure of either is one failure of the fused stage (the processor quarantines it: the
 * event is unsanitised until both succeed, so only the restricted topic may hold it).
 */
export function fusedTransform(
  sanitizer: SanitizerContext,
  enricher: EnricherContext,
  now: () => number = Date.now,
): Transform {
  return (event) => ({
    kind: 'forward',
    event: enrichEvent(sanitizeEvent(event, sanitizer), enricher, now()),
  });
}
