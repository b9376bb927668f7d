import { forbiddenFragments } from '../support/secret-corpus.ts';

/**
 * Looks for the planted secrets (and this run's own credentials) in whatever a sink delivered.
 * Findings name the sink and the fragment's start only: the report must not repeat a secret.
 */
export class SecretScanner {
  private readonly fragments: string[];
  readonly found = new Map<string, Set<string>>();

  constructor(extra: readonly string[] = []) {
    this.fragments = [...forbiddenFragments(), ...extra];
  }

  scan(where: string, text: string): void {
    for (const fragment of this.fragments) {
      if (!text.includes(fragment)) continue;
      const set = this.found.get(where) ?? new Set<string>();
      set.add(`${fragment.slice(0, 4)}… (${fragment.length} chars)`);
      this.found.set(where, set);
    }
  }

  /** Number of distinct fragments found per sink. */
  summary(): Record<string, number> {
    return Object.fromEntries([...this.found].map(([where, set]) => [where, set.size]));
  }
}
