import { hash } from 'node:crypto';
import type { AuditEvent } from '@auditflow/schemas';

/**
 * The resend key of an event, from its decoded fields (a header can claim anything): the SHA-256
 * of an unambiguous encoding of tenant, producer id, sequence and event id. Tenant and producer
 * id are length-prefixed, so no choice of characters in one field makes two different events
 * share an encoding; the sequence is a number (no `:` in it) and the event id is the rest. The
 * digest comes as a 32-character one-byte string; a window keeps its first 128 bits (16 bytes a
 * key), and telling two events apart fails only if two keys share them, which nobody can
 * produce, let alone a client choosing ids. An event that
 * reuses an id under another producer, sequence or tenant has another key: that is an id
 * conflict for the indexer and archiver, not a resend.
 */
export function resendKey(event: Pick<AuditEvent, 'tenant_id' | 'id' | 'producer'>): string {
  const { tenant_id: tenant, producer } = event;
  const encoded = `${tenant.length}:${tenant}${producer.id.length}:${producer.id}${producer.sequence}:${event.id}`;
  return hash('sha256', encoded, 'binary');
}
