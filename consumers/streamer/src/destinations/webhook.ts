import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { WebhookConfig } from './config.ts';
import { toOcsf } from './ocsf.ts';
import { type Delivery, DeliveryError, type Sender } from './sender.ts';
import { signatureHeader } from './signing.ts';

/**
 * HTTP webhook (L4): POSTs a batch as a JSON array, signed (see signing.ts). Any answer but 2xx,
 * a timeout or a connection error is a failed delivery, retried by the runner.
 */
export class WebhookSender implements Sender {
  private readonly url: URL;
  private readonly agent: HttpAgent;

  constructor(
    private readonly config: WebhookConfig,
    private readonly productVersion: string,
    private readonly now: () => number = Date.now,
  ) {
    this.url = new URL(config.url);
    const options = { keepAlive: true, maxSockets: 1 };
    this.agent =
      this.url.protocol === 'https:'
        ? new HttpsAgent({ ...options, ...(config.ca_file ? { ca: config.ca_file } : {}) })
        : new HttpAgent(options);
  }

  body(delivery: Delivery): string {
    if (this.config.format === 'ocsf')
      return JSON.stringify(delivery.events.map((e) => toOcsf(e, this.productVersion)));
    return `[${delivery.jsons.join(',')}]`;
  }

  send(delivery: Delivery): Promise<void> {
    const body = this.body(delivery);
    const timestamp = Math.floor(this.now() / 1000);
    const headers: Record<string, string | number> = {
      ...this.config.headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'user-agent': `auditflow-streamer/${this.productVersion}`,
      'x-auditflow-destination': this.config.name,
      'x-auditflow-timestamp': String(timestamp),
      'x-auditflow-nonce': delivery.id,
      'x-auditflow-signature': signatureHeader(this.config.secrets, timestamp, delivery.id, body),
      'x-auditflow-event-count': delivery.events.length,
    };
    const request = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        this.url,
        { method: 'POST', headers, agent: this.agent, timeout: this.config.timeout_ms },
        (res) => {
          const status = res.statusCode ?? 0;
          res.resume(); // the answer's body is not ours to read, but the socket must be freed
          res.on('end', () =>
            status >= 200 && status < 300
              ? resolve()
              : reject(new DeliveryError(`the receiver answered ${status}`, status)),
          );
          res.on('error', (err) => reject(new DeliveryError(`reading the answer failed: ${err.message}`)));
        },
      );
      req.on('timeout', () =>
        req.destroy(new DeliveryError(`no answer within ${this.config.timeout_ms} ms`)),
      );
      req.on('error', (err) =>
        reject(err instanceof DeliveryError ? err : new DeliveryError(`request failed: ${err.message}`)),
      );
      req.end(body);
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
