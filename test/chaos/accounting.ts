import type { Tally } from './sightings.ts';

/**
 * The chaos run's verdict per stage, pure: every acknowledged event must be there exactly once;
 * an event in doubt (its producer never answered) may be there, at most once; nothing else may.
 */
export interface StageVerdict {
  /** Acknowledged, not there. */
  readonly lost: number;
  /** There more than once (acknowledged or in doubt). */
  readonly duplicated: number;
  /** In doubt and there once: delivered although the caller never heard so (allowed). */
  readonly inDoubtDelivered: number;
  /** There but never emitted by this run's producers as far as the ledger knows. */
  readonly unexpected: number;
  /** A few ids of each kind, for the report. */
  readonly examples: {
    readonly lost: string[];
    readonly duplicated: string[];
    readonly unexpected: string[];
  };
}

const EXAMPLES = 5;

export function judgeStage(
  acked: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  inDoubt: ReadonlySet<string>,
  counts: Tally,
): StageVerdict {
  const lost: string[] = [];
  const duplicated: string[] = [];
  const unexpected: string[] = [];
  let inDoubtDelivered = 0;
  for (const id of acked.keys()) if (!counts.has(id)) lost.push(id);
  for (const [id, n] of counts.entries()) {
    if (n > 1) duplicated.push(id);
    if (acked.has(id)) continue;
    if (inDoubt.has(id)) inDoubtDelivered++;
    else unexpected.push(id);
  }
  return {
    lost: lost.length,
    duplicated: duplicated.length,
    inDoubtDelivered,
    unexpected: unexpected.length,
    examples: {
      lost: lost.slice(0, EXAMPLES),
      duplicated: duplicated.slice(0, EXAMPLES),
      unexpected: unexpected.slice(0, EXAMPLES),
    },
  };
}
