/**
 * Every event id the run has met, numbered once. A soak acknowledges millions of events and
 * seven places tally them (five stages, two upstream topics); with one string-keyed map per
 * place the harness itself ran out of heap at 1.6 M events. Numbered ids let each place keep a
 * byte per event instead.
 */
export class IdTable {
  private readonly numbers = new Map<string, number>();
  /** The id of each number. */
  readonly ids: string[] = [];

  /** The id's number, given one now if it has none. */
  add(id: string): number {
    let n = this.numbers.get(id);
    if (n === undefined) {
      n = this.ids.length;
      this.numbers.set(id, n);
      this.ids.push(id);
    }
    return n;
  }

  /** The id's number, undefined when it has none (never met). */
  numberOf(id: string): number | undefined {
    return this.numbers.get(id);
  }

  get size(): number {
    return this.ids.length;
  }
}

/** The read-only view of a tally that verdicts take: how often each id was found. */
export interface Tally {
  readonly size: number;
  has(id: string): boolean;
  /** How often, undefined when never. */
  get(id: string): number | undefined;
  entries(): Iterable<[string, number]>;
  values(): Iterable<number>;
}

/** Counts stop here: anything above one is a duplicate, and a byte per event keeps a soak small. */
const MAX_COUNT = 255;

/** Where one stage has shown each event, and how often (up to 255). */
export class Sightings implements Tally {
  private counts = new Uint8Array(1024);
  private distinct = 0;

  constructor(private readonly table: IdTable) {}

  see(id: string): void {
    const n = this.table.add(id);
    if (n >= this.counts.length) {
      const grown = new Uint8Array(Math.max(n + 1, this.counts.length * 2));
      grown.set(this.counts);
      this.counts = grown;
    }
    const c = this.counts[n] as number;
    if (c === 0) this.distinct++;
    if (c < MAX_COUNT) this.counts[n] = c + 1;
  }

  get size(): number {
    return this.distinct;
  }

  get(id: string): number | undefined {
    // No number yet means nobody saw it: looking it up must not number it.
    const n = this.table.numberOf(id);
    const c = n === undefined ? 0 : (this.counts[n] ?? 0);
    return c === 0 ? undefined : c;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  *entries(): Generator<[string, number]> {
    const { ids } = this.table;
    for (let n = 0; n < this.counts.length; n++) {
      const c = this.counts[n] as number;
      if (c > 0) yield [ids[n] as string, c];
    }
  }

  *values(): Generator<number> {
    for (const c of this.counts) if (c > 0) yield c;
  }

  /** The ids among `ids` not seen yet. */
  missing(ids: Iterable<string>): string[] {
    const out: string[] = [];
    for (const id of ids) if (!this.has(id)) out.push(id);
    return out;
  }
}
