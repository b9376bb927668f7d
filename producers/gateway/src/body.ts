import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Reads a request body up to `limit` bytes; rejects as soon as it is exceeded. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLargeError(`body of ${declared} bytes is over the ${limit}-byte limit`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError(`body is over the ${limit}-byte limit`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export type ParsedBody =
  | { readonly ok: true; readonly events: readonly unknown[] }
  | { readonly ok: false; readonly error: string; readonly message: string };

/** Strict UTF-8, then JSON: one event object or a non-empty array of them. */
export function parseEvents(body: Buffer, maxBatch: number): ParsedBody {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, error: 'invalid_utf8', message: 'the body is not valid UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      error: 'invalid_json',
      message: `the body is not valid JSON: ${(err as Error).message}`,
    };
  }
  const events = Array.isArray(value) ? value : [value];
  if (events.length === 0) return { ok: false, error: 'empty_batch', message: 'the array holds no events' };
  if (events.length > maxBatch) {
    return { ok: false, error: 'batch_too_large', message: `at most ${maxBatch} events per request` };
  }
  if (events.some((e) => e === null || typeof e !== 'object' || Array.isArray(e))) {
    return { ok: false, error: 'invalid_event', message: 'each event must be a JSON object' };
  }
  return { ok: true, events };
}
