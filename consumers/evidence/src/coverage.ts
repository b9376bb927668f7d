import { hourOf } from '@auditflow/archive';

/**
 * Digest coverage (A3): an hour of the period with events is covered when the archive holds
 * objects for it and every one of them is listed in a signed digest. An hour with events and no
 * archived object, or with an object no digest lists, is named: its events have no tamper
 * evidence yet (the archiver has not rolled them, or something is wrong).
 */
export interface CoverageInput {
  /** Start (ms) of each hour with events in the index. */
  readonly eventHours: readonly number[];
  /** Archived data objects in scope: the hour their events belong to, and whether a digest lists them. */
  readonly objects: readonly { readonly hour: number; readonly digested: boolean }[];
}

export interface Coverage {
  readonly hoursWithEvents: number;
  readonly hoursDigested: number;
  readonly hoursWithoutDigest: string[];
}

export function digestCoverage(input: CoverageInput): Coverage {
  const byHour = new Map<number, { objects: number; digested: number }>();
  for (const o of input.objects) {
    const hour = hourOf(o.hour);
    const row = byHour.get(hour) ?? { objects: 0, digested: 0 };
    row.objects++;
    if (o.digested) row.digested++;
    byHour.set(hour, row);
  }
  const hours = [...new Set(input.eventHours.map(hourOf))].sort((a, b) => a - b);
  const without = hours.filter((h) => {
    const row = byHour.get(h);
    return !row || row.digested < row.objects;
  });
  return {
    hoursWithEvents: hours.length,
    hoursDigested: hours.length - without.length,
    hoursWithoutDigest: without.map((h) => new Date(h).toISOString()),
  };
}
