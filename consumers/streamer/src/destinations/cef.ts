import type { AuditEventJson } from '@auditflow/schemas';
import { cefSeverity } from './severity.ts';

/**
 * ArcSight Common Event Format (CEF:0). Header fields escape `\` and `|`; extension values
 * escape `\` and `=`, and carry line breaks as the two characters `\n` / `\r`. Neither may hold
 * a raw line break: one would end the record early in a line-based collector.
 */
export function escapeCefHeader(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
}

export function escapeCefValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/=/g, '\\=')
    .replace(/\r\n|\n/g, '\\n')
    .replace(/\r/g, '\\r');
}

const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/;
const isIp = (value: string): boolean =>
  IPV4.test(value) || (value.includes(':') && /^[0-9a-f:.]+$/i.test(value));

export interface CefOptions {
  readonly vendor: string;
  readonly product: string;
  readonly version: string;
}

export function toCef(event: AuditEventJson, options: CefOptions): string {
  const fields: [string, string | number | null | undefined][] = [
    ['rt', Date.parse(event.occurred_at)],
    ['externalId', event.id],
    ['act', event.action],
    ['cat', event.category],
    ['outcome', event.outcome],
    ['suid', event.actor.id],
    ['suser', event.actor.name ?? event.actor.email],
    ['src', event.actor.ip && isIp(event.actor.ip) ? event.actor.ip : null],
    ['requestClientApplication', event.actor.user_agent],
    ['reason', event.error ? [event.error.class, event.error.code].filter(Boolean).join(' ') : null],
    ['msg', event.error?.message],
  ];
  // Custom fields go out with their label, and only when they have a value.
  const custom: [string, string, string | number | null | undefined][] = [
    ['cs1', 'tenant_id', event.tenant_id],
    ['cs2', 'correlation_id', event.correlation_id],
    ['cs3', 'target', event.target ? `${event.target.type}:${event.target.id ?? ''}` : null],
    ['cs4', 'service', event.service.name],
    ['cs5', 'actor_type', event.actor.type],
    ['cn1', 'duration_ms', event.duration_ms],
    // The origin the pipeline stamped (never what the client claimed): who was authenticated at
    // the door, which door, and when it received the event.
    ['cs6', 'ingest_client_id', event.ingest?.client_id],
    ['flexString1', 'ingest_via', event.ingest?.via],
    ['flexDate1', 'ingest_received_at', event.ingest ? Date.parse(event.ingest.received_at) : null],
  ];
  for (const [key, label, value] of custom)
    fields.push([`${key}Label`, value == null ? null : label], [key, value]);
  const extension = fields
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${escapeCefValue(String(v))}`)
    .join(' ');
  const header = [
    'CEF:0',
    escapeCefHeader(options.vendor),
    escapeCefHeader(options.product),
    escapeCefHeader(options.version),
    escapeCefHeader(event.action),
    escapeCefHeader(event.action),
    String(cefSeverity(event)),
  ].join('|');
  return `${header}|${extension}`;
}
