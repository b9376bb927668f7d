import { pseudonymise } from '@auditflow/redaction';
import { describe, expect, it } from 'vitest';
import { eraseDocument, erasureEvent, erasurePlan, isPseudonym, replaceToken } from './erasure.ts';

const KEY = Buffer.alloc(32, 7);
const p = (raw: string) => pseudonymise(KEY, raw);

/** An indexed document as the indexer writes it, of alice acting (name and e-mail pseudonymised by the sanitizer). */
const aliceActs = () => ({
  '@timestamp': '2026-11-20T10:00:00.000Z',
  event: { id: 'e1', action: 'auth.login', outcome: 'success' },
  user: { id: 'alice-7', name: p('Alice Liddell'), email: p('alice@example.org') },
  source: { ip: '203.0.113.0' },
  user_agent: { original: 'Mozilla/5.0 (AliceBook)' },
  organization: { id: 'acme' },
  audit: {
    outcome: 'success',
    actor: { type: 'user', session_id: 'sess-1', ip: '203.0.113.0' },
    target: { type: 'repository', id: 'repo-1', name: 'infra' },
    details: { note: 'alice-7 logged in from Mozilla/5.0 (AliceBook), call +1-555-0100', 'alice-7': true },
    fingerprint: 'f1',
    producer: { id: 'p', sequence: 1 },
  },
});

describe('subject erasure', () => {
  const plan = erasurePlan(
    KEY,
    'alice-7',
    ['+1-555-0100', 'Mozilla/5.0 (AliceBook)'],
    'er-1',
    '2026-12-01T00:00:00Z',
  );

  it('replaces whole tokens only, in one pass over the text', () => {
    expect(replaceToken('u-42 and u-420 and xu-42 and (u-42)', 'u-42', 'P')).toBe(
      'P and u-420 and xu-42 and (P)',
    );
    expect(replaceToken('nothing here', 'u-42', 'P')).toBe('nothing here');
    expect(replaceToken('mail alice@example.org.', 'alice@example.org', 'P')).toBe('mail P.');
  });

  it("pseudonymises the actor's identity and removes IP, user agent and session, keeping id, action, time and outcome", () => {
    const source = aliceActs();
    const erased = eraseDocument(source, plan, p);
    expect(erased?.roles).toEqual(['actor']);
    const doc = erased?.doc as ReturnType<typeof aliceActs> & { audit: { erasure: unknown } };
    expect(doc.user).toEqual({ id: p('alice-7'), name: p('Alice Liddell'), email: p('alice@example.org') });
    expect(doc).not.toHaveProperty('source');
    expect(doc).not.toHaveProperty('user_agent');
    expect(doc.audit.actor).toEqual({ type: 'user' });
    expect(doc['@timestamp']).toBe(source['@timestamp']);
    expect(doc.event).toEqual(source.event);
    expect(doc.audit.outcome).toBe('success');
    expect(doc.audit.fingerprint).toBe('f1');
    expect(doc.audit.target).toEqual(source.audit.target);
    expect(doc.audit.details).toEqual({
      note: `${p('alice-7')} logged in from ${p('Mozilla/5.0 (AliceBook)')}, call ${p('+1-555-0100')}`,
      [p('alice-7')]: true,
    });
    expect(doc.audit.erasure).toEqual({ id: 'er-1', erased_at: '2026-12-01T00:00:00Z' });
    const text = JSON.stringify(doc);
    for (const raw of ['alice-7', '203.0.113', 'AliceBook', '555-0100', 'sess-1'])
      expect(text).not.toContain(raw);
    // The input is not changed (it may be retried).
    expect(source.user.id).toBe('alice-7');
  });

  it('pseudonymises raw names and e-mails a tenant policy kept, and drops masked ones', () => {
    const source = aliceActs();
    source.user.name = 'Alice Liddell';
    source.user.email = 'a***@example.org';
    const doc = eraseDocument(source, plan, p)?.doc as ReturnType<typeof aliceActs>;
    expect(doc.user).toEqual({ id: p('alice-7'), name: p('Alice Liddell') });
  });

  it("erases the subject as a target, leaving the acting administrator's fields alone", () => {
    const source = {
      user: { id: 'admin-1', name: p('Admin') },
      source: { ip: '198.51.100.0' },
      organization: { id: 'acme' },
      audit: { target: { type: 'user', id: 'alice-7', name: 'Alice Liddell' }, details: { by: 'admin-1' } },
    };
    const erased = eraseDocument(source, plan, p);
    expect(erased?.roles).toEqual(['target']);
    expect(erased?.doc.user).toEqual(source.user);
    expect(erased?.doc.source).toEqual(source.source);
    expect(erased?.doc.audit).toMatchObject({
      target: { type: 'user', id: p('alice-7'), name: p('Alice Liddell') },
    });
  });

  it("leaves other subjects' documents alone", () => {
    const other = aliceActs();
    other.user.id = 'bob';
    expect(eraseDocument(other, plan, p)).toBeUndefined();
  });

  it('plans pseudonyms for raw identifiers only, longest first', () => {
    const planned = erasurePlan(KEY, 'al', ['alice@example.org', p('x'), 'a***@example.org', 'alice']);
    // Too short to scrub from free text: the id field itself is still pseudonymised.
    expect([...planned.replacements.keys()]).toEqual(['alice@example.org', 'alice']);
    expect(planned.pseudonym).toBe(p('al'));
    expect(isPseudonym(planned.pseudonym)).toBe(true);
  });

  it("audits the erasure with the subject's pseudonym, never the raw id, also in the reason", () => {
    const event = erasureEvent(
      {
        erasureId: 'er-1',
        tenant: 'acme',
        pseudonym: plan.pseudonym,
        matched: 3,
        erased: 3,
        asActor: 2,
        asTarget: 1,
        retried: 0,
        identifiersScrubbed: 3,
      },
      { type: 'admin_action', id: 'dpo', via: 'cli' },
      { reason: 'GDPR request 12 from alice-7', index: 'audit-events*' },
      plan,
    );
    expect(event).toMatchObject({
      action: 'audit.subject.erased',
      target: { type: 'data_subject', id: p('alice-7') },
      tenant_id: 'acme',
      outcome: 'success',
      details: {
        events_changed: 3,
        as_actor: 2,
        as_target: 1,
        reason: `GDPR request 12 from ${p('alice-7')}`,
      },
    });
    expect(JSON.stringify(event)).not.toContain('alice-7');
  });
});
