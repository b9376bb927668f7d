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

/** The first 128 bits of a key's SHA-256 are what a window keeps: four 32-bit words. */
const WORDS = 4;
const KEY_CHARS = WORDS * 4;

/**
 * The keys of the last `capacity` distinct records, oldest evicted first. Keys are resendKey()
 * digests; the window keeps their first 128 bits in a ring of 32-bit words (insertion order) and
 * finds them through an open-addressing table of ring slots (linear probing, deletion by
 * backward shift). Both are typed arrays sized once: 24 bytes per key and nothing for the
 * collector to trace, where a Set of digest strings took 82 bytes per key and grew the heap as
 * it filled (the sanitizer's RSS rose for the first ten minutes of a soak). 128 bits of SHA-256
 * keep it exact in practice: a false "seen" needs two of the window's keys to share them.
 * Seeing a key again does not refresh it (a resend is no newer than its original).
 */
export class ResendWindow {
  /** Key words by ring slot: slot i holds words [4i, 4i+4). */
  private readonly ring: Uint32Array;
  /** Open-addressing table of ring slot + 1 (0: empty); at most half full. */
  private readonly table: Int32Array;
  private readonly mask: number;
  /** The ring slot the next key goes to; once the ring is full, the oldest key's. */
  private head = 0;
  private count = 0;
  /** The key being looked up, as words (reused: no allocation per record). */
  private readonly probe = new Uint32Array(WORDS);

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('window capacity must be ≥ 1');
    this.ring = new Uint32Array(capacity * WORDS);
    let size = 2;
    while (size < capacity * 2) size *= 2;
    this.table = new Int32Array(size);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  has(key: string): boolean {
    this.load(key);
    return this.find() >= 0;
  }

  add(key: string): void {
    this.load(key);
    if (this.find() >= 0) return;
    const slot = this.head;
    if (this.count === this.capacity) this.remove(slot);
    else this.count++;
    this.ring.set(this.probe, slot * WORDS);
    let i = (this.probe[0] as number) & this.mask;
    while (this.table[i] !== 0) i = (i + 1) & this.mask;
    this.table[i] = slot + 1;
    this.head = (slot + 1) % this.capacity;
  }

  private load(key: string): void {
    if (key.length < KEY_CHARS) throw new RangeError('a resend key is a resendKey() digest');
    for (let w = 0; w < WORDS; w++) {
      const c = w * 4;
      this.probe[w] =
        (key.charCodeAt(c) |
          (key.charCodeAt(c + 1) << 8) |
          (key.charCodeAt(c + 2) << 16) |
          (key.charCodeAt(c + 3) << 24)) >>>
        0;
    }
  }

  /** The table index holding the probe's key, or -1. */
  private find(): number {
    const { ring, table, probe, mask } = this;
    for (let i = (probe[0] as number) & mask; ; i = (i + 1) & mask) {
      const entry = table[i] as number;
      if (entry === 0) return -1;
      const at = (entry - 1) * WORDS;
      if (
        ring[at] === probe[0] &&
        ring[at + 1] === probe[1] &&
        ring[at + 2] === probe[2] &&
        ring[at + 3] === probe[3]
      )
        return i;
    }
  }

  /** Takes the key in ring slot `slot` out of the table (backward shift: no tombstones). */
  private remove(slot: number): void {
    const { ring, table, mask } = this;
    let hole = (ring[slot * WORDS] as number) & mask;
    while (table[hole] !== slot + 1) hole = (hole + 1) & mask;
    for (let j = (hole + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
      const home = (ring[((table[j] as number) - 1) * WORDS] as number) & mask;
      // An entry stays when its home lies cyclically in (hole, j]; otherwise it fills the hole.
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      table[hole] = table[j] as number;
      hole = j;
    }
    table[hole] = 0;
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
