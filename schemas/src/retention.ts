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

/** `security.*` matches `security.config.updated`; without `*` the match is exact. */
export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(value);
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
