import type { AuditEventJson } from '@auditflow/schemas';

/**
 * How serious an event is, from the catalog severity the enricher added (when the action is
 * known) and the outcome: a denied or failed action is worth more attention than a success.
 */
const CATALOG_RANK: Record<string, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** 0 (routine) to 4 (critical and not successful). */
export function rank(event: AuditEventJson): number {
  const catalog = CATALOG_RANK[event.enrichment?.severity ?? 'low'] ?? 0;
  const failed = event.outcome === 'failure' || event.outcome === 'denied';
  return Math.min(4, catalog + (failed ? 1 : 0));
}

/** RFC 5424 severity: 6 informational, 5 notice, 4 warning, 3 error, 2 critical. */
export const syslogSeverity = (event: AuditEventJson): number => 6 - rank(event);

/** CEF severity 0–10. */
export const cefSeverity = (event: AuditEventJson): number => [3, 5, 7, 8, 10][rank(event)] as number;

/** OCSF severity_id: 1 informational, 2 low, 3 medium, 4 high, 5 critical. */
export const ocsfSeverityId = (event: AuditEventJson): number => 1 + rank(event);
