/**
 * Caps how many indices one batch creates (issue 14 item 2). Each event names the index of its
 * routing time and the index of its receipt day; an index that already exists is always
 * used, and at most `cap` new ones are opened per batch. Beyond that an event goes to its
 * receipt-day index (created if need be: the receipt day is the batch's own, so those are few).
 * Pure: the same batch and known indices give the same choice.
 */
export interface IndexChoice {
  /** The index of the event's routing time. */
  readonly wanted: string;
  /** The index of the event's receipt day. */
  readonly receipt: string;
}

export function planIndices(
  choices: readonly IndexChoice[],
  known: ReadonlySet<string>,
  cap: number,
): string[] {
  const opened = new Set<string>();
  return choices.map(({ wanted, receipt }) => {
    if (known.has(wanted) || opened.has(wanted)) return wanted;
    if (opened.size < cap) {
      opened.add(wanted);
      return wanted;
    }
    opened.add(receipt);
    return receipt;
  });
}
