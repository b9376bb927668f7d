import {
  type AuditEvent,
  auditEventSchema,
  type Finding,
  fieldTags,
  redactionMarker,
  secretFingerprint,
} from '@auditflow/schemas';
import { isCardNumber } from './cards.ts';
import type { KeyNames } from './keys.ts';
import type { KnownClean } from './known-clean.ts';
import { argvSecrets, PAIR_RULE, type PairScanner } from './pairs.ts';
import { actionFor, mask, type PiiAction, type PiiPolicy, pseudonymise } from './policy.ts';
import { type Hits, type Marker, redactText } from './redact.ts';
import type { Ruleset } from './rules.ts';

export interface SanitizerContext {
  readonly ruleset: Ruleset;
  readonly policy: PiiPolicy;
  /** Which key names hold secrets (words, not whole names). */
  readonly keyNames: KeyNames;
  readonly pairs: PairScanner;
  /** Strings already found clean: values (rules and pairs) and keys (rules) apart. */
  readonly knownClean?: { readonly texts: KnownClean; readonly keys: KnownClean };
  readonly pseudonymKey: Buffer;
  /** The key of the fingerprints in redaction markers (`auditflow search --secret-value`). */
  readonly redactionKey: Buffer;
  /** Past this, the event is quarantined (thrown) rather than holding its partition. */
  readonly eventBudgetMs: number;
}

/** The event took longer than its budget: quarantined with this reason, the partition moves on. */
export class SanitizeBudgetError extends Error {
  override readonly name = 'SanitizeBudgetError';
  readonly retriable = false;
}

/** Rule that marks a value redacted because of the key it stands under. */
const FIELD_NAME_RULE = 'field-name';
/** Header-like objects: `{name: 'X-Api-Key', value: '…'}` (HAR, Kubernetes env, fetch entries). */
const PAIR_NAME_FIELDS = ['name', 'key', 'header', 'Name', 'Key'];
const PAIR_VALUE_FIELDS = ['value', 'val', 'Value'];

/** A `[name, value]` entry. */
const isEntry = (item: unknown): item is [string, unknown] =>
  Array.isArray(item) && item.length === 2 && typeof item[0] === 'string';

/** Whether the first character after any leading whitespace opens a JSON object or array. */
function startsJson(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 123 /* { */ || c === 91 /* [ */) return true;
    // The whitespace JSON allows before a value: space, tab, LF, CR.
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return false;
}

/** Below this length a string skips the known-clean lookup: redacting it costs less. */
const MIN_REMEMBERED_CHARS = 8;

/** Nesting beyond this is refused (fail closed): the producer already caps details at 32. */
const MAX_DEPTH = 64;

const PII_PATHS = fieldTags(auditEventSchema)
  .filter((t) => t.sensitivity === 'pii')
  .map((t) => t.path);
/** The PII fields, all of them the actor's (checked once at load, not per event). */
const PII_FIELDS = PII_PATHS.map((path) => {
  const [parent, field] = path.split('.');
  if (parent !== 'actor' || (field !== 'name' && field !== 'email' && field !== 'ip'))
    throw new Error(`no PII handling for ${path}`);
  return { path, field } as const;
});
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
  readonly mark: Marker;
  private readonly deadline: number;
  private strings = 0;

  constructor(
    private readonly ctx: SanitizerContext,
    readonly report: Report,
  ) {
    this.mark = (rule, secret) => redactionMarker(rule, secretFingerprint(ctx.redactionKey, secret));
    this.deadline = performance.now() + ctx.eventBudgetMs;
  }

  /** One map for every string's hits, emptied per string (Report.add copies what it needs). */
  private readonly hits: Hits = new Map();

  private freshHits(): Hits {
    this.hits.clear();
    return this.hits;
  }

  private checkBudget(): void {
    // Reading the clock every 32 strings keeps it off the hot path; each string is linear time.
    if ((++this.strings & 31) === 0 && performance.now() > this.deadline) {
      throw new SanitizeBudgetError(
        `sanitizing took longer than the ${this.ctx.eventBudgetMs} ms event budget`,
      );
    }
  }

  isSensitiveKey(key: string): boolean {
    return this.ctx.keyNames.isSensitive(key);
  }

  /** A value under a sensitive key: every string and number in it, the structure and keys kept. */
  secretValue(value: unknown, path: string): unknown {
    if (typeof value === 'string' || typeof value === 'number') {
      this.report.add(path, new Map([[FIELD_NAME_RULE, 1]]));
      return this.mark(FIELD_NAME_RULE, String(value));
    }
    if (Array.isArray(value)) return value.map((item) => this.secretValue(item, `${path}[]`));
    if (value === null || typeof value !== 'object') return value; // booleans and null hide nothing
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = this.secretValue(inner, `${path}.${key}`);
    return out;
  }

  /** Redacts one string; JSON inside a string is parsed, cleaned and written back. */
  text(value: string, path: string, freeText: boolean): string {
    if (value.length > 1 && startsJson(value)) {
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
    this.checkBudget();
    const known = value.length >= MIN_REMEMBERED_CHARS ? this.ctx.knownClean?.texts : undefined;
    let out = value;
    if (!known?.has(value)) {
      const hits = this.freshHits();
      // Pairs after the rules: a value a provider rule already marked is skipped, and the rule's
      // name (github-token, not key-value-secret) is what the report shows.
      out = this.ctx.pairs.redact(redactText(value, this.ctx.ruleset, hits, this.mark), this.mark, hits);
      if (hits.size > 0) this.report.add(path, hits);
      else if (out === value) known?.add(value);
    }
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
      if (Number.isSafeInteger(value) && value > 0 && isCardNumber(String(value))) {
        this.report.add(path, new Map([['card-number', 1]]));
        return this.mark('card-number', String(value));
      }
      return value;
    }
    if (Array.isArray(value)) {
      // [["X-Api-Key", "…"], ["Accept", "…"]]: headers as entries (fetch, Object.entries).
      if (value.length > 0 && value.every(isEntry)) {
        return value.map((entry: [string, unknown]) =>
          this.isSensitiveKey(entry[0])
            ? [this.text(entry[0], `${path}[]`, false), this.secretValue(entry[1], `${path}.${entry[0]}`)]
            : this.value(entry, `${path}[]`, depth + 1, freeText),
        );
      }
      const argv =
        value.length > 1 && value.every((item) => typeof item === 'string') ? this.argv(value) : undefined;
      return value.map((item, i) => {
        const at = argv?.get(i);
        if (at === undefined) return this.value(item, `${path}[]`, depth + 1, freeText);
        this.report.add(`${path}[]`, new Map([[PAIR_RULE, 1]]));
        return (item as string).slice(0, at) + this.mark(PAIR_RULE, (item as string).slice(at));
      });
    }
    if (value === null || typeof value !== 'object') return value;
    const record = value as Record<string, unknown>;
    const pairValueField = this.pairValueField(record);
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(record)) {
      const cleanKey = this.key(key, path);
      const innerPath = `${path}.${cleanKey}`;
      if (key === pairValueField || this.isSensitiveKey(key)) {
        out[cleanKey] = this.secretValue(inner, innerPath);
        continue;
      }
      out[cleanKey] = this.value(inner, innerPath, depth + 1, freeText);
    }
    return out;
  }

  /** An object key, with the provider and generic rules (a key is no place for a pair). */
  private key(key: string, path: string): string {
    const known = key.length >= MIN_REMEMBERED_CHARS ? this.ctx.knownClean?.keys : undefined;
    if (known?.has(key)) return key;
    const hits = this.freshHits();
    const out = redactText(key, this.ctx.ruleset, hits, this.mark);
    if (hits.size > 0) this.report.add(`${path}.(key)`, hits);
    else if (out === key) known?.add(key);
    return out;
  }

  /** `["mysql", "-pSecret"]`, `["deploy", "--token", "…"]`: which items hold secrets. */
  private argv(items: readonly string[]): Map<number, number> | undefined {
    const found = argvSecrets(items, this.ctx.keyNames);
    return found.size > 0 ? found : undefined;
  }

  /** In `{name: 'DB_PASSWORD', value: '…'}` the value field holds the secret the name names. */
  private pairValueField(record: Record<string, unknown>): string | undefined {
    for (const nameField of PAIR_NAME_FIELDS) {
      const name = record[nameField];
      if (typeof name !== 'string' || !this.isSensitiveKey(name)) continue;
      for (const valueField of PAIR_VALUE_FIELDS) if (valueField in record) return valueField;
    }
    return undefined;
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
  for (const { path, field } of PII_FIELDS) {
    if (!(field in actor)) throw new Error(`no PII handling for ${path}`);
    const action = actionFor(ctx.policy, event.tenant_id, path);
    if (actor[field] !== null && action !== 'keep') report.piiActions.push({ path, action });
    actor[field] = applyPii(action, actor[field], ctx.pseudonymKey);
  }
  if (SECRET_PATHS.length > 0)
    throw new Error(`fields tagged secret are not handled: ${SECRET_PATHS.join(', ')}`);
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(event.target?.attributes ?? {})) {
    attributes[w.text(key, 'target.attributes.(key)', false)] = w.isSensitiveKey(key)
      ? (w.secretValue(value, `target.attributes.${key}`) as string)
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
      if (w.isSensitiveKey(change.field)) {
        const path = `changes[].${change.field}`;
        const secret = (json: string | null) =>
          json === null ? null : JSON.stringify(w.secretValue(JSON.parse(json), path));
        return { field: change.field, before: secret(change.before), after: secret(change.after) };
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
