/**
 * A resume position: for every partition of the clean topic, the next offset a subscriber has
 * not yet been given (L2). Encoded as base64url of `partition:offset` pairs so it fits an SSE
 * `id:` line and a URL. Partitions missing from a position are read from their beginning: a
 * position can only ever make a subscriber see more, never skip.
 */
export type Position = ReadonlyMap<number, number>;

export class InvalidPositionError extends Error {
  override readonly name = 'InvalidPositionError';
}

export function encodePosition(position: Position): string {
  const pairs = [...position].sort(([a], [b]) => a - b).map(([p, o]) => `${p}:${o}`);
  return Buffer.from(pairs.join(','), 'utf8').toString('base64url');
}

export function decodePosition(text: string): Map<number, number> {
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(text))
    throw new InvalidPositionError('a position is the base64url `id` of an event the stream sent');
  const out = new Map<number, number>();
  const plain = Buffer.from(text, 'base64url').toString('utf8');
  for (const pair of plain.split(',')) {
    const match = /^(\d{1,6}):(\d{1,16})$/.exec(pair);
    if (!match) throw new InvalidPositionError('not a position this stream sent');
    out.set(Number(match[1]), Number(match[2]));
  }
  return out;
}

/** `?since=`: a position or an ISO 8601 time (then resolved to offsets by timestamp). */
export type Since = { kind: 'position'; position: Map<number, number> } | { kind: 'time'; at: number };

export function parseSince(text: string): Since {
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const at = Date.parse(text);
    if (Number.isNaN(at)) throw new InvalidPositionError(`since=${text} is not a valid ISO 8601 time`);
    return { kind: 'time', at };
  }
  return { kind: 'position', position: decodePosition(text) };
}
