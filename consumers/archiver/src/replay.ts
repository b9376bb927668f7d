import { gunzipSync } from 'node:zlib';
import { WireCodec } from '@auditflow/processor-runtime';
import { type AuditEventJson, fromJsonForm } from '@auditflow/schemas';
import type { Kafka, Message } from 'kafkajs';
import { hourPrefixes, parseObjectKey } from './keys.ts';
import type { ArchiveStore } from './store.ts';

export const REPLAYED_HEADER = 'auditflow-replayed';

/** Tenants present in the archive (or the one asked for). */
export async function archiveTenants(store: ArchiveStore, tenant?: string): Promise<string[]> {
  if (tenant !== undefined) return [tenant];
  const prefixes = await store.commonPrefixes('tenant=');
  return prefixes.map((p) => decodeURIComponent(p.slice('tenant='.length, -1)));
}

/** Every archived event of the tenants whose time lies in [from, to], with the key it came from. */
export async function* archivedEventsIn(
  store: ArchiveStore,
  range: { from: number; to: number; tenant?: string },
): AsyncGenerator<{ key: string; event: AuditEventJson }> {
  const tenants = await archiveTenants(store, range.tenant);
  for (const prefix of hourPrefixes(tenants, range.from, range.to)) {
    for (const { key } of await store.list(prefix)) {
      if (!parseObjectKey(key)) continue;
      const text = gunzipSync(await store.get(key)).toString('utf8');
      for (const line of text.split('\n')) {
        if (!line) continue;
        const event = JSON.parse(line) as AuditEventJson;
        const at = Date.parse(event.occurred_at);
        if (at >= range.from && at <= range.to) yield { key, event };
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
        headers: { [REPLAYED_HEADER]: 'true', 'auditflow-replayed-from': key },
      });
      if (batch.length >= 500) await send();
    }
    await send();
  } finally {
    await producer.disconnect();
  }
  return { topic: options.topic, events, objects: keys.size };
}
