import { type ClientRequest, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { SseParser } from '../../infra/cli/src/commands/tail.ts';
import type { Sightings } from './sightings.ts';

/**
 * A SIEM's live subscriber (SSE, L1/L2) that stays attached through every fault: when the
 * stream ends, fails or overflows it reconnects with `Last-Event-ID` (the last position it
 * got), as EventSource and `auditflow tail` do. Every event it receives is recorded, so a gap
 * after a resume shows as a lost event and a repeat as a duplicate.
 */
export class ResumingSubscriber {
  private lastId: string | undefined;
  private req: ClientRequest | undefined;
  private closed = false;
  private loop: Promise<void> | undefined;
  connects = 0;
  overflows = 0;
  /** Connection attempts that failed or were refused (streamer down, 503...). */
  failures = 0;
  readonly statuses: Record<string, number> = {};

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly since: string,
    readonly seen: Sightings,
    /** Every frame's data, for the secret scan. */
    private readonly onData: (data: string) => void = () => {},
  ) {}

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        await this.once();
      } catch {
        this.failures++;
      }
      if (!this.closed) await sleep(500);
    }
  }

  /** One connection: resolves when the stream ends (or fails), having recorded what it delivered. */
  private once(): Promise<void> {
    const query = new URLSearchParams(new URL(this.url).search);
    if (!this.lastId) query.set('since', this.since);
    const url = `${this.url.split('?')[0]}?${query}`;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'text/event-stream',
            ...(this.lastId ? { 'last-event-id': this.lastId } : {}),
          },
        },
        (res) => {
          const status = String(res.statusCode ?? 0);
          this.statuses[status] = (this.statuses[status] ?? 0) + 1;
          if (res.statusCode !== 200) {
            res.resume();
            res.on('end', () => reject(new Error(`the streamer answered ${status}`)));
            return;
          }
          this.connects++;
          const parser = new SseParser();
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            for (const frame of parser.feed(chunk)) {
              if (frame.event === 'overflow') this.overflows++;
              if (frame.id) this.lastId = frame.id;
              if (frame.event !== 'message') continue;
              this.onData(frame.data);
              this.seen.see((JSON.parse(frame.data) as { id: string }).id);
            }
          });
          res.on('end', resolve);
          res.on('error', resolve);
          res.on('close', resolve);
        },
      );
      this.req = req;
      req.on('error', reject);
      req.end();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.req?.destroy();
    await this.loop;
  }
}
