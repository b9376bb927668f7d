import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { HOLDS_PREFIX } from './keys.ts';
import type { LegalHold } from './roll.ts';
import type { ArchiveStore } from './store.ts';

/**
 * Legal holds (SPEC A2). Holds set with `auditflow retention hold` live in the bucket itself, so
 * every archiver and sweeper sees the same ones; holds in the retention policy file apply too.
 * A hold keeps every object of its tenant and time range from being deleted, whatever its age.
 */
export const holdSchema = z.strictObject({
  id: z.string().min(1),
  tenant: z.string().min(1),
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  reason: z.string().min(1),
  created_at: z.iso.datetime({ offset: true }).optional(),
});

export async function loadHolds(
  store: ArchiveStore,
  policyHolds: readonly LegalHold[] = [],
): Promise<LegalHold[]> {
  const holds: LegalHold[] = [...policyHolds];
  for (const { key } of await store.list(HOLDS_PREFIX)) {
    const parsed = holdSchema.safeParse(await store.getJson(key));
    // A malformed hold file must not be ignored silently: a hold that cannot be read blocks nothing.
    if (!parsed.success)
      throw new Error(`legal hold ${key} is not valid: ${parsed.error.issues[0]?.message}`);
    holds.push(parsed.data);
  }
  return holds;
}

export async function putHold(
  store: ArchiveStore,
  hold: { tenant: string; from: string; to: string; reason: string },
): Promise<LegalHold> {
  const record = { id: randomUUID(), ...hold, created_at: new Date().toISOString() };
  holdSchema.parse(record);
  await store.putOnce(`${HOLDS_PREFIX}${record.id}.json`, Buffer.from(`${JSON.stringify(record)}\n`), {
    contentType: 'application/json',
  });
  return record;
}

/** Policy-file holds use ids `policy-<n>` so they can be told apart in listings. */
export const policyHoldsOf = (
  holds: readonly { tenant: string; from: string; to: string; reason: string }[],
): LegalHold[] => holds.map((h, n) => ({ id: `policy-${n}`, ...h }));
