import { hash } from 'node:crypto';
import type { AuditEvent } from '@auditflow/schemas';

/**
 * Dropping producer resends (issue 15). The SDK delivers at least once: after a broker outage or
 * a gateway crash it replays what its spool had not seen acknowledged, and those records may
 * already be in the raw topic. A resend carries the same tenant, producer id, producer sequence
 * and event id as the original, and the same Kafka key, so it lands on the same partition. The
 * first stage reading raw keeps, per input partition, the keys of the records it saw most
 * recently and drops a record whose key it has seen. Pure logic: the processor does the I/O.
 */

/** Records per input partition whose keys are remembered, unless configured. */
export const DEFAULT_RESEND_WINDOW = 100_000;

/**
 * The resend key of an event, from its decoded fields (a header can claim anything): the SHA-256
 * of an unambiguous encoding of tenant, producer id, sequence and event id. Tenant and producer
 * id are length-prefixed, so no choice of characters in one field makes two different events
 * share an encoding; the sequence is a number (no `:` in it) and the event id is the rest. The
 * digest (32 bytes as a one-byte string) keeps a window key at about 83 bytes of heap against
 * 280 for the encoding itself, and is exact in practice: telling two events apart fails only on
 * a SHA-256 collision, which nobody can produce, let alone a client choosing ids. An event that
 * reuses an id under another producer, sequence or tenant has another key: that is an id
 * conflict for the indexer and archiver, not a resend.
 */
export function resendKey(event: Pick<AuditEvent, 'tenant_id' | 'id' | 'producer'>): string {
  const { tenant_id: tenant, producer } = event;
  const encoded = `${tenant.length}:${tenant}${producer.id.length}:${producer.id}${producer.sequence}:${event.id}`;
  return hash('sha256', encoded, 'binary');
}

/**
 * The keys of the last `capacity` distinct records, oldest evicted first: a ring of keys in
 * insertion order beside a Set for lookups. (Evicting through a Map's first key instead costs
 * O(window) per record in V8, whose iterator walks the holes deletions leave: 40 µs at 100,000.)
 * Seeing a key again does not refresh it (a resend is no newer than its original). Memory is
 * bounded by `capacity` keys (8 MiB at 100,000); one string and one Set entry per record.
 */
export class ResendWindow {
  private readonly keys = new Set<string>();
  private readonly ring: (string | undefined)[];
  /** The slot the next key goes to; once the ring is full, the oldest key's. */
  private head = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('window capacity must be ≥ 1');
    this.ring = new Array<string | undefined>(capacity).fill(undefined);
  }

  get size(): number {
    return this.keys.size;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    if (this.keys.has(key)) return;
    const oldest = this.ring[this.head];
    if (oldest !== undefined) this.keys.delete(oldest);
    this.ring[this.head] = key;
    this.head = (this.head + 1) % this.capacity;
    this.keys.add(key);
  }
}

/** What a newly owned partition needs before its records can be judged. */
export type WindowPlan =
  | { readonly kind: 'ready' }
  /** Read [from, until) into the window only (no output, no commit), then go on from `until`. */
  | { readonly kind: 'rebuild'; readonly from: number; readonly until: number };

interface PartitionWindow {
  readonly window: ResendWindow;
  /** The offset after the last record the window holds: its coverage ends there. */
  next: number;
  /** While rebuilding: the committed offset the rebuild reads up to. */
  rebuildUntil: number | undefined;
}

/**
 * The windows of every input partition this instance owns, and their rebuilds. A window only
 * ever holds keys of records that were committed (added after the transaction), or read back
 * from below the committed offset, so an aborted batch that is retried is not mistaken for its
 * own resend.
 */
export class PartitionWindows {
  private readonly partitions = new Map<number, PartitionWindow>();

  constructor(readonly capacity: number) {}

  /**
   * Called once the partition's committed offset is final (our producer fenced any previous
   * owner). A window that ends exactly at `committed` is ours and complete (nobody else
   * committed in between); otherwise it is rebuilt from the `capacity` records before it.
   */
  plan(partition: number, committed: number, logStart: number): WindowPlan {
    const known = this.partitions.get(partition);
    if (known && known.rebuildUntil === undefined && known.next === committed) return { kind: 'ready' };
    const state: PartitionWindow = {
      window: new ResendWindow(this.capacity),
      next: committed,
      rebuildUntil: undefined,
    };
    this.partitions.set(partition, state);
    const from = Math.max(logStart, committed - this.capacity, 0);
    if (committed < 0 || from >= committed) return { kind: 'ready' };
    state.rebuildUntil = committed;
    state.next = from;
    return { kind: 'rebuild', from, until: committed };
  }

  /** Whether the partition is being rebuilt: its records below `rebuildUntil` are window-only. */
  rebuilding(partition: number): number | undefined {
    return this.partitions.get(partition)?.rebuildUntil;
  }

  /**
   * One record read back during a rebuild (`key` undefined: it does not decode). Returns true
   * once the rebuild reached its end: this record and later ones are processed as usual.
   */
  absorb(partition: number, offset: number, key: string | undefined): boolean {
    const state = this.partitions.get(partition);
    if (state?.rebuildUntil === undefined) return true;
    if (offset >= state.rebuildUntil) {
      state.next = state.rebuildUntil;
      state.rebuildUntil = undefined;
      return true;
    }
    if (key !== undefined) state.window.add(key);
    state.next = offset + 1;
    if (state.next >= state.rebuildUntil) state.rebuildUntil = undefined;
    return false;
  }

  /** Whether a record with this key was seen on the partition (a resend). */
  seen(partition: number, key: string): boolean {
    return this.partitions.get(partition)?.window.has(key) ?? false;
  }

  /** After a transaction committed: its records' keys join the window, which now ends at `next`. */
  committed(partition: number, keys: Iterable<string>, next: number): void {
    let state = this.partitions.get(partition);
    if (!state) {
      state = { window: new ResendWindow(this.capacity), next, rebuildUntil: undefined };
      this.partitions.set(partition, state);
    }
    for (const key of keys) state.window.add(key);
    state.next = next;
  }

  /** Forgets a partition's window (revoked, or a rebuild that a rejoin cut short). */
  drop(partition: number): void {
    this.partitions.delete(partition);
  }

  /** Partitions whose rebuild is under way. */
  rebuildingPartitions(): number[] {
    return [...this.partitions].filter(([, s]) => s.rebuildUntil !== undefined).map(([p]) => p);
  }

  /** Keeps only the windows of partitions still assigned to us. */
  retain(assigned: ReadonlySet<number>): void {
    for (const partition of [...this.partitions.keys()]) if (!assigned.has(partition)) this.drop(partition);
  }

  size(partition: number): number {
    return this.partitions.get(partition)?.window.size ?? 0;
  }
}

/**
 * `AUDITFLOW_DEDUPE_WINDOW`: records per input partition whose resend keys are remembered
 * (default 100,000; 0 turns the drop off). Throws naming the variable when it is not a count.
 */
export function resendWindowFromEnv(env: NodeJS.ProcessEnv): { windowPerPartition: number } | undefined {
  const raw = env.AUDITFLOW_DEDUPE_WINDOW;
  if (raw === undefined || raw === '') return { windowPerPartition: DEFAULT_RESEND_WINDOW };
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n > 10_000_000) {
    throw new Error(
      `AUDITFLOW_DEDUPE_WINDOW: must be a whole number of records per partition from 0 (off) to 10000000, got "${raw}"`,
    );
  }
  return n === 0 ? undefined : { windowPerPartition: n };
}
