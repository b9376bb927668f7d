import { describe, expect, it } from 'vitest';
import { parseEvents } from './body.ts';

describe('parseEvents', () => {
  it('takes one event or a batch', () => {
    expect(parseEvents(Buffer.from('{"a":1}'), 10)).toEqual({ ok: true, events: [{ a: 1 }] });
    expect(parseEvents(Buffer.from('[{"a":1},{"b":2}]'), 10)).toMatchObject({
      ok: true,
      events: [{ a: 1 }, { b: 2 }],
    });
  });

  it.each([
    [Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), 'invalid_utf8'],
    [Buffer.from('{"a":'), 'invalid_json'],
    [Buffer.from('[]'), 'empty_batch'],
    [Buffer.from('[1,2]'), 'invalid_event'],
    [Buffer.from(JSON.stringify(Array.from({ length: 11 }, () => ({})))), 'batch_too_large'],
  ])('refuses %s as %s', (body, error) => {
    expect(parseEvents(body, 10)).toMatchObject({ ok: false, error });
  });
});
