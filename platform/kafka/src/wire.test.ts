import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { auditEventSchema, auditEventType } from '@auditflow/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecodeError, WireCodec } from './wire.ts';

/** Below Linux's ephemeral range, so no outgoing connection holds it. */
const PORT = 17072;
const ID = 4242;

/** A registry that answers 404 for ID until `registered` is set, then the AuditEvent schema. */
let registered = false;
let lookups = 0;
let server: Server;

const message = (): Buffer => {
  const header = Buffer.alloc(5);
  header.writeInt32BE(ID, 1);
  const event = auditEventType.random();
  return Buffer.concat([header, auditEventType.toBuffer(event)]);
};

const reason = async (codec: WireCodec): Promise<string> => {
  try {
    await codec.decode(message());
    return 'decoded';
  } catch (err) {
    if (err instanceof DecodeError) return err.reason;
    throw err;
  }
};

describe('WireCodec negative lookups', () => {
  beforeAll(async () => {
    server = createServer((req, res) => {
      lookups += 1;
      if (req.url === `/schemas/ids/${ID}` && registered) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ schema: JSON.stringify(auditEventSchema) }));
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error_code: 40403, message: 'Schema not found' }));
      }
    });
    server.listen(PORT, '127.0.0.1');
    await once(server, 'listening');
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('remembers a 404 for a while, then asks again and decodes once the id exists', async () => {
    const { port } = server.address() as AddressInfo;
    const codec = new WireCodec(`http://127.0.0.1:${port}`, 1_048_576, 300);
    expect(await reason(codec)).toBe('unknown_schema_id');
    expect(await reason(codec)).toBe('unknown_schema_id');
    // The second message did not reach the registry: a flood of one unknown id costs one lookup.
    expect(lookups).toBe(1);
    registered = true;
    await sleep(400);
    expect(await reason(codec)).toBe('decoded');
    expect(lookups).toBe(2);
    // A known id is cached for good.
    expect(await reason(codec)).toBe('decoded');
    expect(lookups).toBe(2);
  });
});
