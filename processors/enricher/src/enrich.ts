import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type ActionCatalog,
  type AuditEvent,
  canonicalJson,
  loadCatalog,
  loadRetentionPolicy,
  lookupAction,
  type RetentionPolicy,
  retentionFor,
  toJsonForm,
} from '@auditflow/schemas';
import { z } from 'zod';

export const metadataSchema = z.object({
  tenants: z.record(z.string(), z.strictObject({ name: z.string().min(1) })).default({}),
  services: z.record(z.string(), z.strictObject({ owner: z.string().min(1) })).default({}),
});
export type Metadata = z.output<typeof metadataSchema>;

export const DEFAULT_METADATA_FILE = new URL('../config/metadata.json', import.meta.url);

export function loadMetadata(file: URL | string = DEFAULT_METADATA_FILE): Metadata {
  const parsed = metadataSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`invalid metadata in ${String(file)}: ${parsed.error.message}`);
  return parsed.data;
}

export interface EnricherContext {
  readonly catalog: ActionCatalog;
  readonly retention: RetentionPolicy;
  readonly metadata: Metadata;
}

/**
 * The enricher's context from its files, read once at start: `AUDITFLOW_ACTION_CATALOG`,
 * `AUDITFLOW_RETENTION_POLICY` and `AUDITFLOW_METADATA` when set, else the repository's own.
 * The enricher and the fused processor both start from it.
 */
export function enricherContextFromEnv(env: NodeJS.ProcessEnv = {}): EnricherContext {
  return {
    catalog: loadCatalog(env.AUDITFLOW_ACTION_CATALOG),
    retention: loadRetentionPolicy(env.AUDITFLOW_RETENTION_POLICY),
    metadata: loadMetadata(env.AUDITFLOW_METADATA),
  };
}

/**
 * SHA-256 of the RFC 8785 (JCS) canonical JSON form of the event without its enrichment: any
 * tool can recompute it from an exported event to show the record was not altered.
 */
export function fingerprint(event: AuditEvent): string {
  const { enrichment: _ignored, ...rest } = toJsonForm({ ...event, enrichment: null });
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** N1: processing time, catalog tags (unknown actions flagged), retention class, metadata, fingerprint. */
export function enrichEvent(event: AuditEvent, ctx: EnricherContext, now: number = Date.now()): AuditEvent {
  const entry = lookupAction(ctx.catalog, event.action);
  const category = event.category ?? (entry.known ? entry.category : null);
  const retention = retentionFor(ctx.retention, { ...event, category });
  return {
    ...event,
    enrichment: {
      processed_at: now,
      known_action: entry.known,
      category: entry.known ? entry.category : category,
      severity: entry.known ? entry.severity : null,
      compliance: entry.known ? [...entry.compliance] : [],
      retention_class: retention.retentionClass,
      retention_days: retention.days,
      legal_hold: retention.legalHold,
      tenant_name: ctx.metadata.tenants[event.tenant_id]?.name ?? null,
      service_owner: ctx.metadata.services[event.service.name]?.owner ?? null,
      fingerprint: fingerprint(event),
    },
  };
}
