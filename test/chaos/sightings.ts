/** Where one stage has shown each event: how often, and when first (this process's clock). */
export class Sightings {
  readonly counts = new Map<string, number>();
  readonly first = new Map<string, number>();

  see(id: string, at = Date.now()): void {
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    if (!this.first.has(id)) this.first.set(id, at);
  }

  has(id: string): boolean {
    return this.counts.has(id);
  }

  /** The ids among `ids` not seen yet. */
  missing(ids: Iterable<string>): string[] {
    const out: string[] = [];
    for (const id of ids) if (!this.counts.has(id)) out.push(id);
    return out;
  }
}
