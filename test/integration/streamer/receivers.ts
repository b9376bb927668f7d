import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer as createTlsServer } from 'node:tls';
import { verifySignature } from '@auditflow/streamer';
import { deframe } from './rfc5424.ts';

/**
 * A SIEM's webhook endpoint: checks every request's signature with its own secret, answers 500
 * to the first `failFirst` requests (without taking their events), 422 to a batch holding an
 * event it `refuse`s, 503 once it took `downAfter` batches, and records what it took.
 */
export class WebhookReceiver {
  readonly accepted: { id: string; tenant_id: string; action: string }[] = [];
  readonly nonces = new Set<string>();
  requests = 0;
  failures = 0;
  badSignatures = 0;
  replays = 0;
  private server: Server | undefined;
  refused = 0;
  unavailable = 0;
  failFirst: number;
  private readonly refuse: (event: WebhookReceiver['accepted'][number]) => boolean;
  private readonly downAfter: number;

  constructor(
    private readonly secret: string,
    options: {
      failFirst?: number;
      refuse?: (event: WebhookReceiver['accepted'][number]) => boolean;
      downAfter?: number;
    } = {},
  ) {
    this.failFirst = options.failFirst ?? 0;
    this.refuse = options.refuse ?? (() => false);
    this.downAfter = options.downAfter ?? Number.POSITIVE_INFINITY;
  }

  async listen(): Promise<string> {
    this.server = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const body = Buffer.concat(chunks).toString('utf8');
        const ok = verifySignature({
          secret: this.secret,
          header: String(req.headers['x-auditflow-signature'] ?? ''),
          timestamp: String(req.headers['x-auditflow-timestamp'] ?? ''),
          nonce: String(req.headers['x-auditflow-nonce'] ?? ''),
          body,
        });
        if (!ok) {
          this.badSignatures++;
          res.writeHead(401).end();
          return;
        }
        if (this.failures < this.failFirst) {
          this.failures++;
          res.writeHead(500).end('try again');
          return;
        }
        if (this.nonces.size >= this.downAfter) {
          this.unavailable++;
          res.writeHead(503).end('down for maintenance');
          return;
        }
        const events = JSON.parse(body) as WebhookReceiver['accepted'];
        if (events.some(this.refuse)) {
          this.refused++;
          res.writeHead(422).end('unprocessable event');
          return;
        }
        // No dedupe here (a careful receiver would drop a nonce it already took): the tests
        // count every event taken, so a repeat shows.
        const nonce = String(req.headers['x-auditflow-nonce']);
        if (this.nonces.has(nonce)) this.replays++;
        this.nonces.add(nonce);
        this.accepted.push(...events);
        res.writeHead(200).end();
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  }

  close(): void {
    this.server?.closeAllConnections();
    this.server?.close();
  }
}

/** A self-signed certificate for 127.0.0.1, made with the openssl CLI at test time. */
export function selfSignedCert(): { certFile: string; keyFile: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'syslog-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

/** A syslog listener (TLS or plain TCP) that deframes RFC 6587 octet-counted messages. */
export async function syslogListener(tls?: { cert: string; key: string }) {
  const messages: string[] = [];
  let connections = 0;
  const onSocket = (socket: import('node:net').Socket): void => {
    connections++;
    let rest: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const out = deframe(Buffer.concat([rest, chunk]));
      rest = out.rest;
      messages.push(...out.messages);
    });
    socket.on('error', () => {});
  };
  const server = tls
    ? createTlsServer({ cert: tls.cert, key: tls.key }, onSocket)
    : createNetServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    messages,
    connections: () => connections,
    close: (): void => {
      server.close();
    },
  };
}

/**
 * rsyslogd from Debian as the receiver: imtcp (octet counting) on a free port, every message
 * written as one JSON line of the fields rsyslog parsed out of it.
 */
export async function startRsyslog(): Promise<{
  port: number;
  lines: () => Record<string, string>[];
  stop: () => void;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'rsyslog-'));
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const out = join(dir, 'messages.jsonl');
  writeFileSync(
    join(dir, 'rsyslog.conf'),
    `global(workDirectory="${dir}" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" port="${port}" address="127.0.0.1")
template(name="fields" type="list" option.jsonf="on") {
  property(outname="pri" name="pri" format="jsonf")
  property(outname="protocol" name="protocol-version" format="jsonf")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="sd" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}
action(type="omfile" file="${out}" template="fields" flushOnTXEnd="on" asyncWriting="off")
`,
  );
  const child: ChildProcess = spawn(
    'rsyslogd',
    ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'pid')],
    {
      stdio: 'ignore',
    },
  );
  // Ready once the port accepts connections.
  for (let i = 0; ; i++) {
    if (await canConnect(port)) break;
    if (i > 100) throw new Error('rsyslogd did not start listening');
    await sleep(100);
  }
  return {
    port,
    lines: () => {
      let text = '';
      try {
        text = readFileSync(out, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, string>);
    },
    stop: () => child.kill('SIGTERM'),
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
