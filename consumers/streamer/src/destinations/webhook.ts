import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AuditEventJson } from '@auditflow/schemas';
import type { WebhookConfig } from './config.ts';
import { toOcsf } from './ocsf.ts';
import { type Delivery, DeliveryError, type Sender } from './sender.ts';
import { signatureHeader } from './signing.ts';

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = /^\d{1,9}$/.test(header.trim()) ? Number(header.trim()) * 1000 : Date.parse(header) - now;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/**
 * HTTP webhook (L4): POSTs a batch as a JSON array, signed (see signing.ts). Any answer but 2xx,
 * a timeout or a connection error is a failed delivery: retried by the runner, except the
 * answers that refuse the content itself (`PERMANENT_STATUSES` in sender.ts).
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

  render(event: AuditEventJson, json: string): string {
    return this.config.format === 'ocsf' ? JSON.stringify(toOcsf(event, this.productVersion)) : json;
  }

  body(delivery: Delivery): string {
    return `[${delivery.items.join(',')}]`;
  }

  send(delivery: Delivery, signal: AbortSignal): Promise<void> {
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
      'x-auditflow-event-count': delivery.items.length,
    };
    const request = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        this.url,
        { method: 'POST', headers, agent: this.agent, timeout: this.config.timeout_ms, signal },
        (res) => {
          const status = res.statusCode ?? 0;
          res.resume(); // the answer's body is not ours to read, but the socket must be freed
          const retryAfter = retryAfterMs(res.headers['retry-after'], this.now());
          res.on('end', () =>
            status >= 200 && status < 300
              ? resolve()
              : reject(new DeliveryError(`the receiver answered ${status}`, status, retryAfter)),
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
