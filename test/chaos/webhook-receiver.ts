import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '@auditflow/streamer';
import { type IdTable, Sightings } from './sightings.ts';

/**
 * A careful SIEM webhook endpoint (L4): checks each request's signature and drops a batch whose
 * nonce it already took, as the streamer's README tells receivers to. `seen` is what it kept
 * (after that dedupe), `delivered` every event as it arrived (delivery is at least once).
 */
export class WebhookReceiver {
  readonly seen: Sightings;
  readonly delivered: Sightings;
  private readonly nonces = new Set<string>();
  requests = 0;
  badSignatures = 0;
  redeliveredBatches = 0;
  private server: Server | undefined;

  constructor(
    private readonly secret: string,
    ids: IdTable,
    private readonly onData: (body: string) => void = () => {},
  ) {
    this.seen = new Sightings(ids);
    this.delivered = new Sightings(ids);
  }

  async listen(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const body = Buffer.concat(chunks).toString('utf8');
        const nonce = String(req.headers['x-auditflow-nonce'] ?? '');
        const ok = verifySignature({
          secret: this.secret,
          header: String(req.headers['x-auditflow-signature'] ?? ''),
          timestamp: String(req.headers['x-auditflow-timestamp'] ?? ''),
          nonce,
          body,
        });
        if (!ok) {
          this.badSignatures++;
          res.writeHead(401).end();
          return;
        }
        this.onData(body);
        const events = JSON.parse(body) as { id: string }[];
        for (const e of events) this.delivered.see(e.id);
        if (this.nonces.has(nonce)) this.redeliveredBatches++;
        else for (const e of events) this.seen.see(e.id);
        this.nonces.add(nonce);
        res.writeHead(200).end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  }

  close(): void {
    this.server?.closeAllConnections();
    this.server?.close();
  }
}
