import AhoCorasick from 'modern-ahocorasick';

/**
 * The keyword prefilter: one Aho-Corasick automaton over every rule's keywords, built once at
 * load. A string is lower-cased once (keywords are matched case-insensitively, as gitleaks
 * does) and scanned once; only the rules with a keyword in it run their regex.
 */
export class KeywordPrefilter {
  private readonly automaton: AhoCorasick<readonly number[]> | undefined;
  /** Per rule, the number of the last scan that selected it (no clearing between scans). */
  private readonly seen: Uint32Array;
  private scan = 0;

  /** `keywords[i]` are rule i's keywords. */
  constructor(keywords: readonly (readonly string[])[]) {
    const rulesOf = new Map<string, number[]>();
    keywords.forEach((words, rule) => {
      for (const word of words) {
        const key = word.toLowerCase();
        const list = rulesOf.get(key) ?? [];
        if (!list.includes(rule)) list.push(rule);
        rulesOf.set(key, list);
      }
    });
    this.seen = new Uint32Array(keywords.length);
    this.automaton =
      rulesOf.size > 0
        ? new AhoCorasick([...rulesOf].map(([pattern, data]) => ({ pattern, data })))
        : undefined;
  }

  /** The indices of the rules with a keyword in `text`, ascending. */
  rulesFor(text: string): number[] {
    const found: number[] = [];
    if (this.automaton === undefined) return found;
    if (++this.scan === 0xffffffff) {
      this.seen.fill(0);
      this.scan = 1;
    }
    const scan = this.scan;
    for (const hit of this.automaton.iterate(text.toLowerCase())) {
      for (const rule of hit.data as readonly number[]) {
        if (this.seen[rule] !== scan) {
          this.seen[rule] = scan;
          found.push(rule);
        }
      }
    }
    return found.length > 1 ? found.sort((a, b) => a - b) : found;
  }
}
