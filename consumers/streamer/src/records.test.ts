import { DecodeError, RegistryUnavailableError, type WireCodec } from '@auditflow/kafka';
import type { AuditEvent } from '@auditflow/schemas';
import { describe, expect, it } from 'vitest';
import { avroEvent } from './destinations/test-event.ts';
import { readRecord } from './records.ts';

const codecReturning = (result: () => AuditEvent): WireCodec =>
  ({ decode: async () => result() }) as unknown as WireCodec;

describe('readRecord: one classification for the live feed, catch-ups and destinations', () => {
  it('gives the JSON form and its text for a good record', async () => {
    const r = await readRecord(
      codecReturning(() => avroEvent()),
      Buffer.from('x'),
    );
    expect(r.ok).toBe(true);
    if (r.ok) expect(JSON.parse(r.json)).toEqual(r.event);
  });

  it('an undecodable record is permanent, with the decoder reason', async () => {
    const codec = codecReturning(() => {
      throw new DecodeError('corrupt_avro', 'Avro body does not decode with schema 7');
    });
    expect(await readRecord(codec, Buffer.from('x'))).toEqual({
      ok: false,
      reason: 'corrupt_avro',
      error: 'DecodeError: Avro body does not decode with schema 7',
    });
  });

  it.each([
    ['a time past what a date can hold', { occurred_at: 9e15 }],
    ['details that are not JSON', { details: '{"unterminated": ' }],
    ['a change whose value is not JSON', { changes: [{ field: 'f', before: 'nope{', after: null }] }],
  ])('a record without a JSON form (%s) is permanent: json_form_failed', async (_kind, overrides) => {
    const r = await readRecord(
      codecReturning(() => ({ ...avroEvent(), ...overrides }) as AuditEvent),
      Buffer.from('x'),
    );
    expect(r).toMatchObject({ ok: false, reason: 'json_form_failed' });
  });

  it('an unreachable registry is retriable: it throws, nothing is set aside', async () => {
    const codec = codecReturning(() => {
      throw new RegistryUnavailableError('schema registry unreachable: ECONNREFUSED');
    });
    await expect(readRecord(codec, Buffer.from('x'))).rejects.toThrow(RegistryUnavailableError);
  });
});
