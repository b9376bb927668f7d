import { gunzipSync } from 'node:zlib';
import { WireCodec } from '@auditflow/kafka';
import { type AuditEventJson, fromJsonForm, HEADERS } from '@auditflow/schemas';
import type { Kafka, Message } from 'kafkajs';
import { keyInRange, parseObjectKey, segmentHourPrefixes, tenantSegment } from './keys.ts';
import type { ArchiveStore } from './store.ts';

export const REPLAYED_HEADER = HEADERS.replayed;

/** Key segments of the tenants present in the archive (or of the one asked for). */
export async function archiveTenantSegments(store: ArchiveStore, tenant?: string): Promise<string[]> {
  if (tenant !== undefined) return [tenantSegment(tenant)];
  const prefixes = await store.commonPrefixes('tenant=');
  return prefixes.map((p) => p.slice('tenant='.length, -1));
}

/** Every archived event of the tenants whose time lies in [from, to], with the key it came from. */
export async function* archivedEventsIn(
  store: ArchiveStore,
  range: { from: number; to: number; tenant?: string },
): AsyncGenerator<{ key: string; event: AuditEventJson }> {
  const segments = await archiveTenantSegments(store, range.tenant);
  for (const prefix of segmentHourPrefixes(segments, range.from, range.to)) {
    for (const { key } of await store.list(prefix)) {
      const location = parseObjectKey(key);
      if (!location) continue;
      const text = gunzipSync(await store.get(key)).toString('utf8');
      for (const line of text.split('\n')) {
        if (!line) continue;
        const event = JSON.parse(line) as AuditEventJson;
        if (range.tenant !== undefined && event.tenant_id !== range.tenant) continue; // a hashed neighbour
        // An event whose own time lay outside the window is filed under its receipt hour: there,
        // the key's hour says whether it is in the range.
        const at = Date.parse(event.occurred_at);
        const filedByReceipt = !(at >= location.hour && at < location.hour + 3_600_000);
        if (
          filedByReceipt ? keyInRange(location, range.from, range.to) : at >= range.from && at <= range.to
        ) {
          yield { key, event };
        }
      }
    }
  }
}

export interface ReplayResult {
  readonly topic: string;
  readonly events: number;
  readonly objects: number;
}

/**
 * `auditflow replay` (SPEC A4): re-publishes archived events to a topic in the Confluent wire
 * format, marked with the `auditflow-replayed` header (the archiver skips those: they are
 * archived already). The indexer's ids are event ids, so replaying twice indexes nothing twice.
 */
export async function replay(
  store: ArchiveStore,
  kafka: Kafka,
  registryUrl: string,
  options: {
    from: number;
    to: number;
    tenant?: string;
    topic: string;
    onProgress?: (events: number) => void;
  },
): Promise<ReplayResult> {
  const codec = new WireCodec(registryUrl);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const keys = new Set<string>();
  let events = 0;
  let batch: Message[] = [];
  const send = async () => {
    if (batch.length === 0) return;
    await producer.send({ topic: options.topic, acks: -1, messages: batch });
    events += batch.length;
    batch = [];
    options.onProgress?.(events);
  };
  try {
    for await (const { key, event } of archivedEventsIn(store, options)) {
      keys.add(key);
      batch.push({
        key: event.correlation_id ?? event.id,
        value: await codec.encode(options.topic, fromJsonForm(event)),
        headers: { [REPLAYED_HEADER]: 'true', [HEADERS.replayedFrom]: key },
      });
      if (batch.length >= 500) await send();
    }
    await send();
  } finally {
    await producer.disconnect();
  }
  return { topic: options.topic, events, objects: keys.size };
}
