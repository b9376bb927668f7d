import { randomUUID } from 'node:crypto';
import { pseudonymise, SANITIZER_SETTINGS } from '@auditflow/redaction';
import { type AuditEventInput, hexKeyFromEnv } from '@auditflow/schemas';
import type { Client } from '@elastic/elasticsearch';

/**
 * Subject erasure (SPEC G1, issue 18 part 2): one person's PII leaves the index while their
 * events stay, with id, action, time, outcome and a keyed pseudonym of their identity, so the
 * trail still answers "what did this (pseudonymous) person do".
 *
 * Finding the person: the sanitizer pseudonymises only the fields the schema tags `pii`
 * (actor name, e-mail, ip); `actor.id` is tagged `internal` and reaches the index as it was
 * sent (`user.id`), so the subject's events are found by their raw id, and erasure replaces it
 * with the same keyed pseudonym (HMAC-SHA256 with AUDITFLOW_PSEUDONYM_KEY, the sanitizer's own
 * function) the sanitizer gives pii fields. Name and e-mail the sanitizer already pseudonymised
 * stay as they are: searches by those pseudonyms keep finding every event of the person.
 *
 * Events where the person is the target (an administrator changed their account) hold their id
 * and name as `audit.target.*`: those are erased too (the person's data in someone else's
 * event); the acting administrator's fields are left alone.
 *
 * Each document is rewritten whole with `if_seq_no`/`if_primary_term` (atomic per document; a
 * concurrent write makes a 409 and the document is read again). An erased document no longer
 * matches the subject's raw id, so a run that stops half way is finished by running it again.
 * The indexer's fingerprint, producer and tenant fields are kept: a redelivered copy of an event
 * counts as a duplicate there and never brings the raw document back.
 */

export const ERASURE_ACTION = 'audit.subject.erased';
export const ERASURES_PATH = '/v1/erasures';

/** The sanitizer's pseudonyms: `pseu_` and 32 hex digits. */
const PSEUDONYM = /^pseu_[0-9a-f]{32}$/;
export const isPseudonym = (value: string): boolean => PSEUDONYM.test(value);
/** What the sanitizer's `mask` leaves (`a***@example.com`): not the raw value, but still a trace of it. */
const MASKED = '***';

/** The pseudonym key from AUDITFLOW_PSEUDONYM_KEY (or _FILE), as the sanitizer reads it. */
export function pseudonymKeyFromEnv(env: NodeJS.ProcessEnv): Buffer {
  return hexKeyFromEnv(
    env,
    SANITIZER_SETTINGS.pseudonymKey,
    SANITIZER_SETTINGS.pseudonymKeyFile,
    'pseudonyms of PII; erasure must use the key the sanitizer uses',
  );
}

/** Shortest raw identifier replaced in free text: shorter ones would hit ordinary words. */
const MIN_SCRUB_CHARS = 3;

const isWordChar = (c: string | undefined): boolean => c !== undefined && /^[\p{L}\p{N}_]$/u.test(c);

/**
 * Replaces whole-token occurrences of `raw` in `text` (not inside a longer word or id: `u-42`
 * in `u-420` stays). Linear: one indexOf scan, no regular expression over the text.
 */
export function replaceToken(text: string, raw: string, replacement: string): string {
  if (raw.length === 0) return text;
  let out = '';
  let from = 0;
  for (let at = text.indexOf(raw); at >= 0; at = text.indexOf(raw, at + raw.length)) {
    if (isWordChar(text[at - 1]) || isWordChar(text[at + raw.length])) continue;
    out += text.slice(from, at) + replacement;
    from = at + raw.length;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** What erasure changes and into what. */
export interface ErasurePlan {
  readonly subject: string;
  readonly pseudonym: string;
  /** Raw identifiers of the person (the id, names, e-mails, IPs found or given) and their pseudonyms. */
  readonly replacements: ReadonlyMap<string, string>;
  readonly erasureId: string;
  readonly erasedAt: string;
}

export function erasurePlan(
  key: Buffer,
  subject: string,
  identifiers: readonly string[],
  erasureId: string = randomUUID(),
  erasedAt = new Date().toISOString(),
): ErasurePlan {
  const replacements = new Map<string, string>();
  for (const raw of [subject, ...identifiers]) {
    if (raw.length >= MIN_SCRUB_CHARS && !isPseudonym(raw) && !raw.includes(MASKED))
      replacements.set(raw, pseudonymise(key, raw));
  }
  // Longest first: an e-mail is replaced before the local part that is also the id.
  const ordered = new Map([...replacements].sort(([a], [b]) => b.length - a.length));
  return { subject, pseudonym: pseudonymise(key, subject), replacements: ordered, erasureId, erasedAt };
}

/** Fields erasure never touches: what the trail keeps, and what the indexer recognises an event by. */
const KEPT = new Set([
  '@timestamp',
  'event',
  'organization',
  'audit.outcome',
  'audit.fingerprint',
  'audit.producer',
  'audit.schema_version',
  'audit.erasure',
]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Doc = { [key: string]: Json };

function scrub(value: Json, path: string, plan: ErasurePlan): Json {
  if (KEPT.has(path)) return value;
  if (typeof value === 'string') {
    let text = value;
    for (const [raw, pseudonym] of plan.replacements) text = replaceToken(text, raw, pseudonym);
    return text;
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, path, plan));
  if (value && typeof value === 'object') {
    const out: Doc = {};
    for (const [k, v] of Object.entries(value)) {
      const key = scrub(k, '', plan) as string;
      out[key] = scrub(v, path ? `${path}.${k}` : k, plan);
    }
    return out;
  }
  return value;
}

const objectAt = (doc: Doc, key: string): Doc | undefined => {
  const v = doc[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
};

/** A name or e-mail as erasure leaves it: pseudonyms stay, raw values become theirs, masks go. */
function identityField(holder: Doc, field: string, key: (raw: string) => string): void {
  const value = holder[field];
  if (typeof value !== 'string' || isPseudonym(value)) return;
  if (value.includes(MASKED)) delete holder[field];
  else holder[field] = key(value);
}

function dropEmpty(doc: Doc, key: string): void {
  const v = objectAt(doc, key);
  if (v && Object.keys(v).length === 0) delete doc[key];
}

export type ErasureRole = 'actor' | 'target';

/**
 * The erased form of one index document, or undefined when it is not the subject's. Pure. The
 * actor's id, name and e-mail become pseudonyms; IP addresses, the user agent and the session id
 * are removed (a masked IP or a browser string still singles a person out, and the pseudonym
 * correlates the events without them); every raw identifier left in free text (details, error
 * messages, changes, attributes) becomes its pseudonym.
 */
export function eraseDocument(
  source: Doc,
  plan: ErasurePlan,
  key: (raw: string) => string,
): { doc: Doc; roles: ErasureRole[] } | undefined {
  const roles: ErasureRole[] = [];
  const doc = structuredClone(source);
  const user = objectAt(doc, 'user');
  const audit = objectAt(doc, 'audit') ?? {};
  if (user?.id === plan.subject) {
    roles.push('actor');
    user.id = plan.pseudonym;
    identityField(user, 'name', key);
    identityField(user, 'email', key);
    delete doc.source;
    delete doc.user_agent;
    const actor = objectAt(audit, 'actor');
    if (actor) {
      delete actor.ip;
      delete actor.session_id;
      dropEmpty(audit, 'actor');
    }
  }
  const target = objectAt(audit, 'target');
  if (target?.id === plan.subject) {
    roles.push('target');
    target.id = plan.pseudonym;
    identityField(target, 'name', key);
  }
  if (roles.length === 0) return undefined;
  const erased = scrub(doc, '', plan) as Doc;
  // Marks the document erased, and by which request (the audit record carries the same id).
  erased.audit = {
    ...(objectAt(erased, 'audit') ?? {}),
    erasure: { id: plan.erasureId, erased_at: plan.erasedAt },
  };
  return { doc: erased, roles };
}

/** The subject's documents in a tenant that still hold the raw id, as actor or as target. */
export const subjectQuery = (tenant: string, subject: string): object => ({
  bool: {
    filter: [{ term: { 'organization.id': tenant } }],
    should: [{ term: { 'user.id': subject } }, { term: { 'audit.target.id': subject } }],
    minimum_should_match: 1,
  },
});

export interface ErasureRequest {
  readonly index: string;
  readonly tenant: string;
  readonly subject: string;
  /** Other raw identifiers of the person (e-mail, phone, name) to scrub from free text. */
  readonly identifiers?: readonly string[];
  readonly batchSize?: number;
  /** Rounds a document may meet a concurrent write before erasure gives up on it. */
  readonly maxRounds?: number;
}

export interface ErasureResult {
  readonly erasureId: string;
  readonly tenant: string;
  readonly pseudonym: string;
  /** Documents that held the subject's raw id when erasure started. */
  readonly matched: number;
  /** Documents rewritten (a re-run finishing an interrupted erasure counts only its own). */
  readonly erased: number;
  readonly asActor: number;
  readonly asTarget: number;
  /** Writes refused by a concurrent change and done again. */
  readonly retried: number;
  readonly identifiersScrubbed: number;
}

/** An erasure that stopped: what it had done by then is in `partial`. */
export class ErasureError extends Error {
  override readonly name = 'ErasureError';
  constructor(
    message: string,
    readonly partial: ErasureResult,
  ) {
    super(message);
  }
}

export interface PlannedErasure {
  readonly plan: ErasurePlan;
  readonly query: object;
  readonly matched: number;
  /** Of those, documents where the subject acts, and where they are the target. */
  readonly asActor: number;
  readonly asTarget: number;
}

/**
 * Counts the subject's documents and collects the raw identifiers they hold (a tenant policy
 * may keep names or e-mails; the user agent is raw), to scrub from free text too: the actor's
 * own fields where they act, the target's name where they are the target (never the name of
 * someone else their action touched).
 */
export async function planErasure(es: Client, key: Buffer, request: ErasureRequest): Promise<PlannedErasure> {
  const query = subjectQuery(request.tenant, request.subject);
  const terms = (field: string) => ({ terms: { field, size: 100 } });
  const result = await es.search({
    index: request.index,
    size: 0,
    track_total_hits: true,
    query,
    aggs: {
      actor: {
        filter: { term: { 'user.id': request.subject } },
        aggs: { name: terms('user.name'), email: terms('user.email'), agent: terms('user_agent.original') },
      },
      target: {
        filter: { term: { 'audit.target.id': request.subject } },
        aggs: { name: terms('audit.target.name') },
      },
    },
  });
  type Buckets = { buckets?: { key: string }[] };
  const aggs = (result.aggregations ?? {}) as Record<
    string,
    Record<string, Buckets> & { doc_count?: number }
  >;
  const found = [aggs.actor?.name, aggs.actor?.email, aggs.actor?.agent, aggs.target?.name].flatMap((a) =>
    (a?.buckets ?? []).map((b) => String(b.key)),
  );
  const total = result.hits.total;
  return {
    plan: erasurePlan(key, request.subject, [...(request.identifiers ?? []), ...found]),
    query,
    matched: typeof total === 'number' ? total : (total?.value ?? 0),
    asActor: aggs.actor?.doc_count ?? 0,
    asTarget: aggs.target?.doc_count ?? 0,
  };
}

/**
 * Erases one subject in one tenant of `index`: pages of their documents are rewritten in bulk,
 * each guarded by its sequence number, until none holds the raw id. Throws ErasureError when a
 * document cannot be written (and says which), after erasing all it could.
 */
export async function eraseSubject(
  es: Client,
  key: Buffer,
  request: ErasureRequest,
  planned?: PlannedErasure,
): Promise<ErasureResult> {
  const { plan, query, matched } = planned ?? (await planErasure(es, key, request));
  const pseudonymOf = (raw: string) => pseudonymise(key, raw);
  const counts = { erased: 0, asActor: 0, asTarget: 0, retried: 0 };
  const result = (): ErasureResult => ({
    erasureId: plan.erasureId,
    tenant: request.tenant,
    pseudonym: plan.pseudonym,
    matched,
    ...counts,
    identifiersScrubbed: plan.replacements.size,
  });
  const conflicts = new Map<string, number>();
  for (;;) {
    const page = await es.search<Doc>({
      index: request.index,
      query,
      size: request.batchSize ?? 500,
      seq_no_primary_term: true,
      sort: ['_doc'],
    });
    const hits = page.hits.hits;
    if (hits.length === 0) return result();
    const operations: object[] = [];
    const roles: ErasureRole[][] = [];
    for (const hit of hits) {
      const change = hit._source && eraseDocument(hit._source, plan, pseudonymOf);
      // The query matched a keyword the source does not hold (a mapping that changed the value).
      if (!change)
        throw new ErasureError(
          `document ${hit._id} matched the subject but holds no field to erase`,
          result(),
        );
      operations.push(
        {
          index: {
            _index: hit._index,
            _id: hit._id,
            if_seq_no: hit._seq_no,
            if_primary_term: hit._primary_term,
          },
        },
        change.doc,
      );
      roles.push(change.roles);
    }
    const response = await es.bulk({ operations, refresh: 'wait_for' });
    const failures: string[] = [];
    response.items.forEach((item, i) => {
      const written = item.index;
      const id = written?._id ?? '?';
      if (written && written.status < 300) {
        counts.erased++;
        if (roles[i]?.includes('actor')) counts.asActor++;
        if (roles[i]?.includes('target')) counts.asTarget++;
      } else if (written?.status === 409) {
        // Changed since it was read: the next page reads it again.
        counts.retried++;
        const n = (conflicts.get(id) ?? 0) + 1;
        conflicts.set(id, n);
        if (n >= (request.maxRounds ?? 5))
          failures.push(`${id}: changed by another writer ${n} times running`);
      } else
        failures.push(
          `${id}: ${written?.status} ${written?.error?.type ?? ''} ${written?.error?.reason ?? ''}`,
        );
    });
    if (failures.length > 0)
      throw new ErasureError(
        `erased ${counts.erased} documents; ${failures.length} could not be written (run erase again to finish): ${failures.slice(0, 5).join('; ')}`,
        result(),
      );
  }
}

/** Who asked for an erasure, for its audit record. */
export interface ErasureRequester {
  readonly type: 'user' | 'service' | 'admin_action';
  readonly id: string;
  readonly via: 'cli' | 'api';
}

/**
 * Plans, erases and audits: the audit record is emitted whether the erasure finished or not
 * (a failed erasure is as much the auditor's business), then the result returned or the error
 * thrown. `emit` is the SDK producer's (`{ pipeline: true }`: `audit.*` is the pipeline's own).
 */
export async function eraseAndAudit(
  es: Client,
  key: Buffer,
  request: ErasureRequest & { readonly reason: string },
  who: ErasureRequester,
  emit: (event: AuditEventInput) => void,
): Promise<ErasureResult> {
  const planned = await planErasure(es, key, request);
  try {
    const result = await eraseSubject(es, key, request, planned);
    emit(erasureEvent(result, who, request, planned.plan));
    return result;
  } catch (err) {
    const partial =
      err instanceof ErasureError
        ? err.partial
        : { erasureId: planned.plan.erasureId, tenant: request.tenant, pseudonym: planned.plan.pseudonym };
    emit(erasureEvent(partial, who, request, planned.plan, (err as Error).message));
    throw err;
  }
}

/**
 * The erasure's own audit record (who asked, why, how many events changed). The subject appears
 * only as their pseudonym, and the reason with the person's identifiers replaced: the record of
 * an erasure must not bring back what it erased.
 */
export function erasureEvent(
  result: ErasureResult | { erasureId: string; tenant: string; pseudonym: string },
  who: ErasureRequester,
  request: { readonly reason: string; readonly index: string },
  plan: Pick<ErasurePlan, 'replacements'>,
  failure?: string,
): AuditEventInput {
  const scrubbed = (text: string) =>
    [...plan.replacements].reduce((t, [raw, pseudonym]) => replaceToken(t, raw, pseudonym), text);
  const reason = scrubbed(request.reason);
  const counts =
    'erased' in result
      ? {
          events_matched: result.matched,
          events_changed: result.erased,
          as_actor: result.asActor,
          as_target: result.asTarget,
          identifiers_scrubbed: result.identifiersScrubbed,
        }
      : {};
  return {
    action: ERASURE_ACTION,
    category: 'security_tool',
    actor: { type: who.type, id: who.id },
    target: { type: 'data_subject', id: result.pseudonym },
    outcome: failure ? 'failure' : 'success',
    tenant_id: result.tenant,
    service: { name: who.via === 'cli' ? 'auditflow-cli' : 'auditflow-query-api' },
    ...(failure ? { error: { class: 'internal', message: scrubbed(failure).slice(0, 500) } } : {}),
    details: {
      erasure_id: result.erasureId,
      reason,
      index: request.index,
      requested_via: who.via,
      ...counts,
    },
  };
}
