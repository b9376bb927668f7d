import type { AuditEventInput } from '@auditflow/schemas';

/**
 * Shared pieces of the redaction corpus (issue 13, part 6): the case shapes, a seeded generator
 * of fake, format-valid secret values, and builders that embed a value in an event the way real
 * services send it. Every value here is invented; none is a real credential.
 */

export type SecretCategory =
  | 'key-name'
  | 'free-text'
  | 'cli'
  | 'config'
  | 'env-dump'
  | 'provider-token'
  | 'card'
  | 'private-key'
  | 'http-auth';

export type KeepCategory =
  | 'commit-sha'
  | 'digest'
  | 'trace'
  | 'uuid'
  | 'ulid'
  | 'semver'
  | 'kubernetes'
  | 'arn'
  | 'number'
  | 'network'
  | 'path'
  | 'ref'
  | 'url'
  | 'base64'
  | 'prose'
  | 'public-key'
  | 'checksum'
  | 'request-id'
  | 'mixed';

/** An event with secrets in it: every value in `secrets` (and its 10-character fragments) must vanish. */
export interface SecretCase {
  readonly name: string;
  readonly category: SecretCategory;
  readonly secrets: readonly string[];
  /** Ordinary values in the same event that must survive byte for byte (optional). */
  readonly keep?: readonly string[];
  readonly event: AuditEventInput;
}

/** An event with ordinary values only: every value in `keep` must survive byte for byte. */
export interface KeepCase {
  readonly name: string;
  readonly category: KeepCategory;
  readonly keep: readonly string[];
  readonly event: AuditEventInput;
}

// ---------------------------------------------------------------------------------------------
// Fake values: a seeded generator, so a case's values are stable whatever the order of cases.

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789abcdef';
const B64 = `${ALNUM}+/`;
const B64URL = `${ALNUM}-_`;
const DIGITS = '0123456789';

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A deterministic source of random-looking strings, seeded by a label (mulberry32). */
export class Fake {
  private state: number;

  constructor(label: string) {
    this.state = fnv1a(label);
  }

  private next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  pick(alphabet: string, n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }

  alnum = (n: number): string => this.pick(ALNUM, n);
  lower = (n: number): string => this.pick(LOWER_ALNUM, n);
  upper = (n: number): string => this.pick(UPPER_ALNUM, n);
  hex = (n: number): string => this.pick(HEX, n);
  b64 = (n: number): string => this.pick(B64, n);
  b64url = (n: number): string => this.pick(B64URL, n);
  digits = (n: number): string => this.pick(DIGITS, n);
  /** Digits not starting with 0. */
  number = (n: number): string => this.pick('123456789', 1) + this.pick(DIGITS, n - 1);
  /** A password as people pick them: letters, digits and a few symbols. */
  password = (n: number): string =>
    this.pick(`${ALNUM}!#%^*_-+.`, n - 2) + this.pick('!#%*', 1) + this.pick(DIGITS, 1);
  /** Standard base64 of `bytes` random bytes, padded. */
  base64Bytes = (bytes: number): string => {
    const raw = Buffer.alloc(bytes);
    for (let i = 0; i < bytes; i++) raw[i] = Math.floor(this.next() * 256);
    return raw.toString('base64');
  };
  uuid = (): string => {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
}

/** Appends the Luhn check digit to `body` (digits only). */
export function withLuhn(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

export function luhnValid(digits: string): boolean {
  return withLuhn(digits.slice(0, -1)) === digits;
}

/** Groups digits as printed on cards: `groups` are lengths, `sep` between them. */
export function grouped(digits: string, groups: readonly number[], sep: string): string {
  const parts: string[] = [];
  let at = 0;
  for (const g of groups) {
    parts.push(digits.slice(at, at + g));
    at += g;
  }
  if (at < digits.length) parts.push(digits.slice(at));
  return parts.join(sep);
}

/** A PEM body of `lines` full 64-character lines of base64 and a short last line. */
export function pemBody(fake: Fake, lines: number, first = ''): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(i === 0 ? first + fake.b64(64 - first.length) : fake.b64(64));
  out.push(`${fake.b64(37)}==`);
  return out.join('\n');
}

/** The item at `i`, wrapping round: how cases rotate over places and frames. */
export function nth<T>(list: readonly T[], i: number): T {
  const item = list[i % list.length];
  if (item === undefined) throw new Error('nth() of an empty list');
  return item;
}

// ---------------------------------------------------------------------------------------------
// Events: the envelope every case shares, and where the payload goes.

const SERVICES = [
  { name: 'deploy-bot', version: '3.2.0', instance: 'deploy-bot-5c9f7d8b6-q2w7e', environment: 'production' },
  { name: 'billing-api', version: '1.14.3', instance: 'billing-api-0', environment: 'staging' },
  { name: 'review-agent', version: '0.9.1', instance: null, environment: 'production' },
  { name: 'ci-runner', version: '17.4.2', instance: 'runner-ax7k2p', environment: 'ci' },
] as const;

export function envelope(
  label: string,
  index: number,
): Omit<AuditEventInput, 'outcome'> & { outcome: 'success' | 'failure' } {
  const service = nth(SERVICES, index);
  const f = new Fake(`envelope:${label}`);
  return {
    tenant_id: 'acme',
    action: 'corpus.case.recorded',
    actor: { type: 'agent', id: service.name },
    outcome: index % 3 === 0 ? 'failure' : 'success',
    service: { ...service },
    trace_id: `${f.hex(31)}1`,
    span_id: `${f.hex(15)}2`,
    // Derived from the label by hash, never its text: a case's name may spell a token prefix.
    correlation_id: `corr-${f.hex(16)}`,
  };
}

/** Where a piece of free text is carried. */
export type Place =
  | 'details'
  | 'details.nested'
  | 'error.message'
  | 'target.attributes'
  | 'changes.after'
  | 'json-string';
export const PLACES: readonly Place[] = [
  'details',
  'error.message',
  'details.nested',
  'target.attributes',
  'changes.after',
  'json-string',
];

/** Free text in one of the places real services put it (log output, messages, attributes, changes). */
export function textEvent(
  label: string,
  index: number,
  text: string,
  place: Place = nth(PLACES, index),
): AuditEventInput {
  const base = envelope(label, index);
  // target.attributes values hold at most 1024 bytes: longer text goes to details.
  const where = place === 'target.attributes' && Buffer.byteLength(text) > 1000 ? 'details' : place;
  switch (where) {
    case 'details':
      return { ...base, details: { step: 'run', output: text, exit_code: 1 } };
    case 'details.nested':
      return { ...base, details: { job: { id: 4242, stages: [{ name: 'deploy', log: text }] } } };
    case 'error.message':
      return { ...base, outcome: 'failure', error: { class: 'internal', code: 'E_STEP', message: text } };
    case 'target.attributes':
      return {
        ...base,
        target: { type: 'job', id: 'job-4242', name: 'deploy', attributes: { stage: 'deploy', note: text } },
      };
    case 'changes.after':
      return { ...base, changes: [{ field: 'description', before: 'old text', after: text }] };
    case 'json-string':
      // A tool's JSON output arriving as a string: parsed, cleaned and written back.
      return { ...base, details: { tool_output: JSON.stringify({ ok: false, stdout: text }) } };
  }
}

/** A JSON object carried as `details`. */
export function detailsEvent(label: string, index: number, details: unknown): AuditEventInput {
  return { ...envelope(label, index), details };
}

// ---------------------------------------------------------------------------------------------
// Text templates: a named maker of a text with its secrets (and ordinary values to keep).

export interface Text {
  readonly text: string;
  readonly secrets: string[];
  readonly keep?: string[];
}

export type Template = readonly [name: string, make: (f: Fake) => Text];

export const t = (text: string, secrets: string[], keep?: string[]): Text =>
  keep ? { text, secrets, keep } : { text, secrets };

/** A template of one token: its value, and the line it is printed in. */
export const token = (name: string, value: (f: Fake) => string, line: (v: string) => string): Template => [
  name,
  (f) => {
    const v = value(f);
    return t(line(v), [v]);
  },
];

/** Cases of one category from templates, each in one of the free-text places (rotating). */
export function casesOf(
  category: SecretCategory,
  templates: readonly Template[],
  offset: number,
): SecretCase[] {
  return templates.map(([name, make], i) => {
    const label = `${category}: ${name}`;
    const { text, secrets, keep } = make(new Fake(label));
    const event = textEvent(label, offset + i, text);
    return keep ? { name: label, category, secrets, keep, event } : { name: label, category, secrets, event };
  });
}
