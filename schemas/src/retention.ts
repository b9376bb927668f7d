import { readFileSync } from 'node:fs';
import { z } from 'zod';

const matcher = z.strictObject({
  action: z.array(z.string().min(1)).optional(),
  category: z.array(z.string().min(1)).optional(),
  tenant: z.array(z.string().min(1)).optional(),
});

export const retentionPolicySchema = z
  .object({
    default: z.string().min(1),
    classes: z.record(
      z.string(),
      z.strictObject({
        days: z.number().int().positive(),
        transitions: z
          .array(z.strictObject({ afterDays: z.number().int().positive(), storageClass: z.string().min(1) }))
          .default([]),
      }),
    ),
    rules: z.array(z.strictObject({ match: matcher, class: z.string().min(1) })),
    legalHolds: z
      .array(
        z.strictObject({
          tenant: z.string().min(1),
          from: z.iso.datetime({ offset: true }),
          to: z.iso.datetime({ offset: true }),
          reason: z.string().min(1),
        }),
      )
      .default([]),
  })
  .superRefine((policy, ctx) => {
    for (const name of [policy.default, ...policy.rules.map((r) => r.class)]) {
      if (!policy.classes[name])
        ctx.addIssue({ code: 'custom', message: `class '${name}' is not defined in classes` });
    }
  });

export type RetentionPolicy = z.output<typeof retentionPolicySchema>;

export const DEFAULT_RETENTION_FILE = new URL('../policies/retention.json', import.meta.url);

export function loadRetentionPolicy(file: URL | string = DEFAULT_RETENTION_FILE): RetentionPolicy {
  const parsed = retentionPolicySchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(policy)'}: ${i.message}`);
    throw new Error(`invalid retention policy in ${String(file)}: ${lines.join('; ')}`);
  }
  return parsed.data;
}

/**
 * `security.*` matches `security.config.updated`; without `*` the match is exact. Linear in the
 * value (no regular expression, so no backtracking on an untrusted action string): the text
 * before the first `*` must start the value, the text after the last end it, and the pieces
 * between are found left to right, each as early as it occurs (the earliest place never rules
 * out a match the later pieces could make).
 */
export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const pieces = piecesOf(pattern);
  const first = pieces[0] as string;
  const last = pieces[pieces.length - 1] as string;
  const end = value.length - last.length;
  if (end < first.length || !value.startsWith(first) || !value.endsWith(last)) return false;
  let at = first.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i] as string;
    const found = value.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

/** A pattern's pieces between `*`s, split once per pattern (policies hold a few dozen). */
const patternPieces = new Map<string, readonly string[]>();
function piecesOf(pattern: string): readonly string[] {
  let pieces = patternPieces.get(pattern);
  if (pieces === undefined) {
    pieces = pattern.split('*');
    if (patternPieces.size < 1024) patternPieces.set(pattern, pieces);
  }
  return pieces;
}

export interface RetentionDecision {
  readonly retentionClass: string;
  readonly days: number;
  readonly legalHold: boolean;
}

/** The first matching rule's class (else the default), and whether a legal hold covers the event. */
export function retentionFor(
  policy: RetentionPolicy,
  event: { action: string; category: string | null; tenant_id: string; occurred_at: number },
): RetentionDecision {
  const rule = policy.rules.find(
    ({ match }) =>
      (!match.action || match.action.some((p) => globMatch(p, event.action))) &&
      (!match.category || (event.category !== null && match.category.includes(event.category))) &&
      (!match.tenant || match.tenant.includes(event.tenant_id)),
  );
  const retentionClass = rule?.class ?? policy.default;
  const legalHold = policy.legalHolds.some(
    (h) =>
      h.tenant === event.tenant_id &&
      Date.parse(h.from) <= event.occurred_at &&
      event.occurred_at <= Date.parse(h.to),
  );
  return { retentionClass, days: policy.classes[retentionClass]?.days ?? 365, legalHold };
}
