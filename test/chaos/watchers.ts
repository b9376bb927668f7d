import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { type ArchiveStore, parseObjectKey } from '@auditflow/archive';
import type { Client } from '@elastic/elasticsearch';
import { type IdTable, Sightings } from './sightings.ts';

/** Polls a stage on an interval until stopped; a failing poll (server down) is tried again. */
abstract class Watcher {
  readonly seen: Sightings;
  errors = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly intervalMs: number,
    ids: IdTable,
  ) {
    this.seen = new Sightings(ids);
  }

  protected abstract poll(): Promise<void>;

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.poll().catch(() => {
          this.errors++;
        });
        await sleep(this.intervalMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

const IDS_PER_QUERY = 1000;
const MAX_QUERIES_PER_POLL = 10;

/**
 * When each acknowledged event first became searchable: asks Elasticsearch for the oldest
 * acknowledged ids it has not found yet (an `ids` query; documents are keyed by event id).
 */
export class IndexWatcher extends Watcher {
  private readonly pending = new Set<string>();
  private next = 0;

  constructor(
    private readonly es: Client,
    private readonly index: string,
    private readonly order: readonly string[],
    ids: IdTable,
  ) {
    super(2000, ids);
  }

  protected async poll(): Promise<void> {
    for (; this.next < this.order.length; this.next++) this.pending.add(this.order[this.next] as string);
    await this.es.indices.refresh({ index: this.index });
    const queue = [...this.pending].slice(0, IDS_PER_QUERY * MAX_QUERIES_PER_POLL);
    for (let i = 0; i < queue.length; i += IDS_PER_QUERY) {
      const chunk = queue.slice(i, i + IDS_PER_QUERY);
      const found = await this.es.search({
        index: this.index,
        size: chunk.length,
        _source: false,
        query: { ids: { values: chunk } },
      });
      for (const hit of found.hits.hits) {
        if (!hit._id || !this.pending.delete(hit._id)) continue;
        this.seen.see(hit._id);
      }
      // The oldest are not there yet: the newer ones will not be either.
      if (found.hits.hits.length === 0) break;
    }
  }
}

/** Every event in one archive object (gzip NDJSON). */
export async function objectEvents(store: ArchiveStore, key: string): Promise<string[]> {
  return gunzipSync(await store.get(key))
    .toString('utf8')
    .split('\n')
    .filter(Boolean);
}

/** When each event first appeared in the archive: reads every new data object of the tenant. */
export class ArchiveWatcher extends Watcher {
  private readonly read = new Set<string>();

  constructor(
    private readonly store: ArchiveStore,
    private readonly tenant: string,
    ids: IdTable,
  ) {
    super(3000, ids);
  }

  protected async poll(): Promise<void> {
    for (const { key } of await this.store.list(`tenant=${this.tenant}/`)) {
      if (this.read.has(key) || !parseObjectKey(key)) continue;
      const lines = await objectEvents(this.store, key);
      for (const line of lines) this.seen.see((JSON.parse(line) as { id: string }).id);
      this.read.add(key);
    }
  }
}
