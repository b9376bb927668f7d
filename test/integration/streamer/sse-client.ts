import { request } from 'node:http';
import { type SseFrame, SseParser } from '../../../infra/cli/src/commands/tail.ts';

/**
 * A minimal SSE client on node:http (not fetch) so a test can stop reading the socket at will:
 * `pause()` leaves bytes in the kernel, which is how a slow subscriber looks to the server.
 */
export class SseClient {
  readonly frames: SseFrame[] = [];
  status = 0;
  private readonly parser = new SseParser();
  private waiters: { test: () => boolean; resolve: () => void }[] = [];
  private response: import('node:http').IncomingMessage | undefined;
  private req: import('node:http').ClientRequest | undefined;
  ended = false;

  static open(
    url: string,
    token: string | undefined,
    headers: Record<string, string> = {},
  ): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((resolve, reject) => {
      client.req = request(
        url,
        { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } },
        (res) => {
          client.status = res.statusCode ?? 0;
          client.response = res;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => client.feed(chunk));
          res.on('end', () => {
            client.ended = true;
            client.notify();
          });
          res.on('error', () => {
            client.ended = true;
            client.notify();
          });
          resolve(client);
        },
      );
      client.req.on('error', reject);
      client.req.end();
    });
  }

  /** Event frames, parsed once as they arrive (a getter re-parsing all would be quadratic). */
  readonly events: {
    id: string;
    event: { id: string; tenant_id: string; action: string; outcome: string };
  }[] = [];

  pause(): void {
    this.response?.pause();
  }

  resume(): void {
    this.response?.resume();
  }

  close(): void {
    this.req?.destroy();
  }

  until(test: () => boolean, timeoutMs = 60_000, what = 'condition'): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; have ${this.frames.length} frames`)),
        timeoutMs,
      );
      this.waiters.push({
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private feed(chunk: string): void {
    for (const frame of this.parser.feed(chunk)) {
      this.frames.push(frame);
      if (frame.event === 'message')
        this.events.push({ id: frame.id as string, event: JSON.parse(frame.data) });
    }
    this.notify();
  }

  /** Comment lines seen so far: the server's heartbeats. */
  get comments(): number {
    return this.parser.comments;
  }

  private notify(): void {
    this.waiters = this.waiters.filter((w) => {
      if (w.test() || this.ended) {
        w.resolve();
        return false;
      }
      return true;
    });
  }
}
