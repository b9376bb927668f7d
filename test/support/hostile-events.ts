/**
 * Tools for the hostile-input suite (issue 14): talking to the gateway as an attacker would
 * (bearer, HMAC, an unauthenticated 5 MiB body on a raw socket), writing records straight onto a
 * topic in the Confluent wire format (with byte surgery for what a JS string cannot hold), and
 * reading back the DLQ/quarantine records of a run.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { readTopicSince } from '@auditflow/archive';
import type { Kafka } from 'kafkajs';

export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
  /** The body parsed as JSON, or {} when it is not JSON. */
  readonly json: Record<string, unknown>;
}

/**
 * POSTs with node:http. A body over 1 MiB is declared in full but only its first 64 KiB is
 * sent until the answer arrives: a gateway refusing it early closes the connection, which a
 * client still writing would see as EPIPE.
 */
export function postRaw(
  url: string,
  body: string | Buffer,
  headers: Readonly<Record<string, string>>,
): Promise<HttpAnswer> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      url,
      { method: 'POST', headers: { 'content-length': String(bytes.length), ...headers } },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON: the text says it
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (bytes.length > 1_048_576) req.write(bytes.subarray(0, 65_536));
    else req.end(bytes);
  });
}

/** The four HMAC headers of the gateway README: v1=HMAC(secret, "<timestamp>.<nonce>.<body>"). */
export function hmacHeaders(
  client: string,
  secret: string,
  body: Buffer,
  options: { timestamp?: number; nonce?: string } = {},
): Record<string, string> {
  const ts = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? randomUUID();
  const signature = createHmac('sha256', secret).update(`${ts}.${nonce}.`).update(body).digest('hex');
  return {
    'content-type': 'application/json',
    'x-auditflow-client': client,
    'x-auditflow-timestamp': ts,
    'x-auditflow-nonce': nonce,
    'x-auditflow-signature': `v1=${signature}`,
  };
}

/**
 * Sends the headers of a `declaredBytes` request without credentials and its first 64 KiB on a
 * raw socket; resolves with the status line and how long the answer took. A gateway that reads
 * bodies before authenticating gives no answer until the whole body came.
 */
export async function unauthenticatedUpload(
  port: number,
  declaredBytes: number,
  waitMs: number,
): Promise<{ head: string; ms: number }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const started = Date.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  socket.write(
    `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${declaredBytes}\r\n\r\n`,
  );
  socket.write(Buffer.alloc(64 * 1024, 0x20));
  const deadline = started + waitMs;
  while (!received.includes('\r\n\r\n') && Date.now() < deadline) await sleep(20);
  const ms = Date.now() - started;
  socket.destroy();
  return { head: received.split('\r\n\r\n')[0] ?? '', ms };
}

/** JSON text nested `depth` objects deep (JSON.stringify of such a value would overflow the stack). */
export const deepJson = (depth: number): string => `${'{"n":'.repeat(depth)}"bottom"${'}'.repeat(depth)}`;

/**
 * Replaces the first occurrence of `placeholder` (ASCII, 3 bytes) in an encoded record with the
 * WTF-8 bytes of a lone high surrogate (ED A0 80): what a foreign producer writing a JS string
 * without checking might put in an Avro string. Same length, so the Avro length prefix holds.
 */
export function withLoneSurrogate(wire: Buffer, placeholder: string): Buffer {
  if (Buffer.byteLength(placeholder) !== 3) throw new Error('the placeholder must be 3 bytes');
  const at = wire.indexOf(placeholder);
  if (at < 0) throw new Error(`placeholder ${placeholder} not in the record`);
  const out = Buffer.from(wire);
  out.set([0xed, 0xa0, 0x80], at);
  return out;
}

/** One DLQ or quarantine record as the stages write it (`deadLetter()`). */
export interface SetAside {
  readonly topic: string;
  readonly stage: string;
  readonly reason: string;
  readonly error: string;
  readonly value: Buffer;
}

/** Every DLQ/quarantine record written since `since` whose bytes contain one of `markers`. */
export async function setAsideSince(
  kafka: Kafka,
  topics: readonly string[],
  since: number,
  markers: readonly string[],
): Promise<SetAside[]> {
  const out: SetAside[] = [];
  for (const topic of topics) {
    for (const { message } of await readTopicSince(kafka, topic, since)) {
      const value = message.value ?? Buffer.alloc(0);
      if (!markers.some((m) => value.includes(m))) continue;
      const header = (name: string) => message.headers?.[name]?.toString() ?? '';
      out.push({
        topic,
        stage: header('auditflow-stage'),
        reason: header('auditflow-reason'),
        error: header('auditflow-error'),
        value,
      });
    }
  }
  return out;
}

/** Polls `probe` until `done` says so or the time is up; returns the last value. */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  intervalMs = 1500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await sleep(intervalMs);
    value = await probe();
  }
  return value;
}
