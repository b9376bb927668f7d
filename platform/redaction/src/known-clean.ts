/**
 * Strings the sanitizer has already found nothing to redact in, so the next event that carries
 * the same string (an action, a user agent, an error message, a templated note: audit streams
 * repeat most of their strings) skips the rules and the pairs scan for it.
 *
 * Only clean strings are kept: a string in which anything was found is never remembered, so no
 * secret outlives the event that carried it. The verdict depends only on the string and on the
 * rules and key names, which are fixed for the life of the context.
 *
 * Bounded in entries and in length. Two generations instead of a per-entry LRU: when the young
 * one is full it becomes the old one and the previous old one is dropped whole; a string found
 * in the old generation moves back to the young one. That keeps what repeats, lets a stream of
 * unique ids pass through, and costs no iterator or list per insert (this runs on every string).
 */
export class KnownClean {
  private young = new Set<string>();
  private old = new Set<string>();
  private readonly perGeneration: number;

  constructor(
    maxEntries = 4096,
    /** Longer strings are rarely repeated verbatim, and would cost memory to keep. */
    private readonly maxChars = 256,
  ) {
    this.perGeneration = Math.floor(maxEntries / 2);
  }

  has(text: string): boolean {
    if (text.length > this.maxChars) return false;
    if (this.young.has(text)) return true;
    if (!this.old.has(text)) return false;
    this.add(text);
    return true;
  }

  add(text: string): void {
    if (text.length > this.maxChars || this.perGeneration === 0) return;
    if (this.young.size >= this.perGeneration) {
      this.old = this.young;
      this.young = new Set();
    }
    this.young.add(text);
  }

  /** Entries held (a string may briefly be in both generations). */
  get size(): number {
    return this.young.size + this.old.size;
  }
}
