import { type AuditEvent, auditEventSchema, type Finding, fieldTags } from '@auditflow/schemas';
import { actionFor, mask, type PiiAction, type PiiPolicy, pseudonymise } from './policy.ts';
import { type Hits, redaction, redactText } from './redact.ts';
import { isSensitiveKey, luhn, type Ruleset } from './rules.ts';

export interface SanitizerContext {
  readonly ruleset: Ruleset;
  readonly policy: PiiPolicy;
  readonly pseudonymKey: Buffer;
}

/** Nesting beyond this is refused (fail closed): the producer already caps details at 32. */
const MAX_DEPTH = 64;

const PII_PATHS = fieldTags(auditEventSchema)
  .filter((t) => t.sensitivity === 'pii')
  .map((t) => t.path);
const SECRET_PATHS = fieldTags(auditEventSchema)
  .filter((t) => t.sensitivity === 'secret')
  .map((t) => t.path);

/** Collects what fired where (S3): rule ids, paths and counts, never the matched text. */
class Report {
  readonly findings = new Map<string, Finding>();
  readonly piiActions: { path: string; action: string }[] = [];
  readonly truncated: string[] = [];

  add(path: string, hits: Hits): void {
    for (const [rule, count] of hits) {
      const key = `${rule}\u0000${path}`;
      const found = this.findings.get(key);
      if (found) found.count += count;
      else this.findings.set(key, { rule, path, count });
    }
  }
}

class Walker {
  constructor(
    private readonly ctx: SanitizerContext,
    readonly report: Report,
  ) {}

  /** Redacts one string; JSON inside a string is parsed, cleaned and written back. */
  text(value: string, path: string, freeText: boolean): string {
    const trimmed = value.trimStart();
    if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && value.length > 1) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        parsed = undefined;
      }
      if (parsed !== undefined && typeof parsed === 'object' && parsed !== null) {
        return JSON.stringify(this.value(parsed, path, 0, freeText));
      }
    }
    const hits: Hits = new Map();
    let out = redactText(value, this.ctx.ruleset, hits);
    if (hits.size > 0) this.report.add(path, hits);
    const max = this.ctx.ruleset.freeTextMaxLength;
    if (freeText && out.length > max) {
      out = `${out.slice(0, max)}…[truncated ${out.length - max} chars]`;
      this.report.truncated.push(path);
    }
    return out;
  }

  textOrNull(value: string | null, path: string, freeText = false): string | null {
    return value === null ? null : this.text(value, path, freeText);
  }

  /** Any JSON value at any depth: keys and values. */
  value(value: unknown, path: string, depth: number, freeText: boolean): unknown {
    if (depth > MAX_DEPTH) throw new Error(`${path} is nested deeper than ${MAX_DEPTH} levels`);
    if (typeof value === 'string') return this.text(value, path, freeText);
    if (typeof value === 'number') {
      // A card number sent as a JSON number.
      if (Number.isSafeInteger(value) && /^[3-6]\d{12,18}$/.test(String(value)) && luhn(String(value))) {
        this.report.add(path, new Map([['card-number', 1]]));
        return redaction('card-number');
      }
      return value;
    }
    if (Array.isArray(value)) return value.map((item) => this.value(item, `${path}[]`, depth + 1, freeText));
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      const keyHits: Hits = new Map();
      const cleanKey = redactText(key, this.ctx.ruleset, keyHits);
      const innerPath = `${path}.${cleanKey}`;
      if (keyHits.size > 0) this.report.add(`${path}.(key)`, keyHits);
      if (isSensitiveKey(this.ctx.ruleset, key)) {
        this.report.add(innerPath, new Map([['field-name', 1]]));
        out[cleanKey] = redaction('field-name');
        continue;
      }
      out[cleanKey] = this.value(inner, innerPath, depth + 1, freeText);
    }
    return out;
  }

  json(text: string | null, path: string): string | null {
    if (text === null) return null;
    return JSON.stringify(this.value(JSON.parse(text), path, 0, true));
  }
}

function applyPii(action: PiiAction, value: string | null, key: Buffer): string | null {
  if (value === null) return null;
  switch (action) {
    case 'keep':
      return value;
    case 'mask':
      return mask(value);
    case 'drop':
      return null;
    case 'pseudonymise':
      return pseudonymise(key, value);
  }
}

/**
 * Removes secrets from every string of the event at any depth (S1), applies the tenant's PII
 * policy to the fields the schema tags pii (S2), truncates free text after redaction, and
 * records what fired where (S3). Pure: throws on anything it cannot process (S4, the runtime
 * quarantines).
 */
export function sanitizeEvent(event: AuditEvent, ctx: SanitizerContext): AuditEvent {
  const report = new Report();
  const w = new Walker(ctx, report);
  const actor = { ...event.actor };
  for (const path of PII_PATHS) {
    const field = path.split('.')[1] as 'name' | 'email' | 'ip';
    if (!path.startsWith('actor.') || !(field in actor)) throw new Error(`no PII handling for ${path}`);
    const action = actionFor(ctx.policy, event.tenant_id, path);
    if (actor[field] !== null && action !== 'keep') report.piiActions.push({ path, action });
    actor[field] = applyPii(action, actor[field], ctx.pseudonymKey);
  }
  if (SECRET_PATHS.length > 0)
    throw new Error(`fields tagged secret are not handled: ${SECRET_PATHS.join(', ')}`);
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(event.target?.attributes ?? {})) {
    const sensitive = isSensitiveKey(ctx.ruleset, key);
    if (sensitive) report.add(`target.attributes.${key}`, new Map([['field-name', 1]]));
    attributes[w.text(key, 'target.attributes.(key)', false)] = sensitive
      ? redaction('field-name')
      : w.text(value, `target.attributes.${key}`, false);
  }
  const sanitized: AuditEvent = {
    ...event,
    category: w.textOrNull(event.category, 'category'),
    actor: {
      ...actor,
      id: w.text(actor.id, 'actor.id', false),
      name: w.textOrNull(actor.name, 'actor.name'),
      email: w.textOrNull(actor.email, 'actor.email'),
      user_agent: w.textOrNull(actor.user_agent, 'actor.user_agent'),
      session_id: w.textOrNull(actor.session_id, 'actor.session_id'),
    },
    target: event.target
      ? {
          type: w.text(event.target.type, 'target.type', false),
          id: w.textOrNull(event.target.id, 'target.id'),
          name: w.textOrNull(event.target.name, 'target.name'),
          attributes,
        }
      : null,
    error: event.error
      ? {
          class: event.error.class,
          code: w.textOrNull(event.error.code, 'error.code'),
          message: w.textOrNull(event.error.message, 'error.message', true),
        }
      : null,
    correlation_id: w.textOrNull(event.correlation_id, 'correlation_id'),
    service: {
      name: w.text(event.service.name, 'service.name', false),
      version: w.textOrNull(event.service.version, 'service.version'),
      instance: w.textOrNull(event.service.instance, 'service.instance'),
      environment: w.textOrNull(event.service.environment, 'service.environment'),
    },
    authorization: event.authorization
      ? {
          verified_at: event.authorization.verified_at,
          method: w.textOrNull(event.authorization.method, 'authorization.method'),
          scopes: event.authorization.scopes.map((s) => w.text(s, 'authorization.scopes[]', false)),
        }
      : null,
    changes: event.changes.map((change) => {
      if (isSensitiveKey(ctx.ruleset, change.field)) {
        report.add(`changes[].${change.field}`, new Map([['field-name', 2]]));
        return {
          field: change.field,
          before: JSON.stringify(redaction('field-name')),
          after: JSON.stringify(redaction('field-name')),
        };
      }
      return {
        field: w.text(change.field, 'changes[].field', false),
        before: w.json(change.before, `changes[].${change.field}.before`),
        after: w.json(change.after, `changes[].${change.field}.after`),
      };
    }),
    details: w.json(event.details, 'details'),
    sanitization: {
      ruleset_version: ctx.ruleset.version,
      findings: [...report.findings.values()],
      pii_actions: report.piiActions,
      truncated_paths: report.truncated,
    },
  };
  return sanitized;
}
