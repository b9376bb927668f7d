import type { AuditProducer } from '@auditflow/producer';
import type { AuditEventInput } from '@auditflow/schemas';
import type { Filters } from './query.ts';
import type { ViewerScope } from './viewer.ts';

/** Who read the log: the token's client, or the person behind a viewer token. */
export interface Reader {
  readonly id: string;
  readonly viewer?: ViewerScope;
}

/** The audit actions of reads of the log (the catalog's `audit.*`). */
export type ReadAction =
  | 'audit.log.export_started'
  | 'audit.log.exported'
  /** A console page (search, event, trace, session, overview, live) read under a viewer token. */
  | 'audit.log.viewed'
  /** A query client minted a viewer token. */
  | 'audit.viewer_token.issued';

/** The filters of a read as its audit record shows them (never the cursor: it is opaque paging state). */
export function auditedFilters(filters: Filters): Record<string, unknown> {
  const { cursor: _cursor, ...rest } = filters;
  return rest;
}

/**
 * The query API's audit records of reads of the log (Q2, issue 14 item 4), emitted through the
 * SDK producer as the pipeline's own events (`audit.*` actions, the system tenant when the
 * read names no tenant). `emit()` returns at once and throws only for a malformed event, so a
 * read whose audit record cannot be written does not start.
 */
export class ReadAudit {
  constructor(
    private readonly producer: AuditProducer,
    private readonly options: { readonly index: string; readonly selfTenant: string },
  ) {}

  emit(record: {
    reader: Reader;
    action: ReadAction;
    outcome: 'success' | 'failure';
    /** The tenant the read asked for; the system tenant otherwise. */
    tenant: string | undefined;
    details: Record<string, unknown>;
    /** Ties the records of one export together. */
    correlationId?: string;
    error?: AuditEventInput['error'];
    durationMs?: number;
  }): void {
    const viewer = record.reader.viewer;
    this.producer.emit(
      {
        action: record.action,
        category: 'security_tool',
        // A viewer token's reads are the viewer's own (issue 17): who, under whose token.
        actor: viewer ? { type: 'user', id: viewer.subject } : { type: 'service', id: record.reader.id },
        target: { type: 'audit_index', id: this.options.index },
        outcome: record.outcome,
        tenant_id: record.tenant ?? viewer?.tenant ?? this.options.selfTenant,
        service: { name: 'auditflow-query-api' },
        ...(record.correlationId ? { correlation_id: record.correlationId } : {}),
        ...(record.error ? { error: record.error } : {}),
        ...(record.durationMs === undefined ? {} : { duration_ms: record.durationMs }),
        details: viewer
          ? {
              ...record.details,
              viewer: {
                subject: viewer.subject,
                tenant: viewer.tenant,
                ...(viewer.actor ? { actor: viewer.actor } : {}),
                token_id: viewer.tokenId,
                issued_by: viewer.issuedBy,
              },
            }
          : record.details,
      },
      // audit.* and the system tenant are the pipeline's own (issue 14).
      { pipeline: true },
    );
  }
}
