import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { type AuditProducer, createAuditProducer, SpoolFullError } from '@auditflow/producer';
import type { AuditEventInput } from '@auditflow/schemas';
import { pino } from 'pino';
import { sampleEvent } from '../support/events.ts';
import { secretEvents } from '../support/secret-corpus.ts';
import type { IdTable } from './sightings.ts';

export type Path = 'sdk' | 'gateway' | 'sdk-small-spool';

/** One event the SDK or the gateway acknowledged. */
export interface Ack {
  readonly via: Path;
  /** When the harness had the acknowledgement (emit() returned, or the 202 arrived). */
  readonly at: number;
  readonly secret: boolean;
}

/**
 * What the producers said about every event: acknowledged (must arrive exactly once), in doubt
 * (a gateway request whose answer never came: may arrive, at most once), refused (the caller
 * was told: SpoolFullError, a 4xx/5xx answer).
 */
export class Ledger {
  readonly acked = new Map<string, Ack>();
  /** Acknowledged ids in the order acknowledged. */
  readonly order: string[] = [];
  /** Every event carrying the secret corpus, acknowledged or not. */
  readonly secretIds = new Set<string>();
  readonly inDoubt = new Set<string>();
  readonly refused: Record<string, number> = {};
  /** When each SpoolFullError came (the contract: only while Kafka has not acknowledged for a while). */
  readonly spoolFullAt: number[] = [];
  readonly startedAt = Date.now();

  /** `ids`: every id of the run, numbered once (the stages' tallies count by number). */
  constructor(readonly ids: IdTable) {}

  ack(id: string, ack: Ack): void {
    this.ids.add(id);
    this.acked.set(id, ack);
    this.order.push(id);
    if (ack.secret) this.secretIds.add(id);
  }

  refuse(reason: string, n = 1): void {
    this.refused[reason] = (this.refused[reason] ?? 0) + n;
  }

  /** Ids acknowledged at or before `time`. */
  ackedBy(time: number): string[] {
    const out: string[] = [];
    for (const [id, a] of this.acked) if (a.at <= time) out.push(id);
    return out;
  }
}

/** Every `secretEvery`-th event carries the secret corpus (SPEC S1's places), the rest are ordinary. */
function eventAt(
  i: number,
  tenant: string,
  secretEvery: number,
): { event: AuditEventInput; secret: boolean } {
  const occurred_at = new Date().toISOString();
  if (i % secretEvery === secretEvery - 1) {
    const corpus = secretEvents(tenant);
    const event = corpus[Math.floor(i / secretEvery) % corpus.length] as AuditEventInput;
    return { event: { ...event, occurred_at }, secret: true };
  }
  return { event: sampleEvent(i, { tenant_id: tenant, occurred_at }), secret: false };
}

export interface TrafficOptions {
  readonly tenant: string;
  readonly brokers: string;
  readonly registryUrl: string;
  readonly spoolDir: (name: string) => string;
  readonly gatewayUrl: string;
  readonly gatewayToken: string;
  /** Events per second, split evenly between the SDK and the gateway. */
  readonly rate: number;
  readonly secretEvery: number;
  /** The run's id numbering, shared with every tally. */
  readonly ids: IdTable;
  /** A second SDK producer with a tiny spool, emitting this many events/s (0: none). */
  readonly smallSpool?: { readonly rate: number; readonly maxBytes: number };
}

const TICK_MS = 100;
const GATEWAY_BATCH_MAX = 50;
const GATEWAY_MAX_IN_FLIGHT = 8;

/**
 * Steady traffic through the SDK (in this process, its own spool) and the gateway (HTTP
 * batches), every acknowledgement written to the ledger. A gateway request that fails is not
 * retried: a real client would, with the same ids; here its events count as in doubt.
 */
export class Traffic {
  readonly ledger: Ledger;
  private readonly sdk: AuditProducer;
  private readonly small: AuditProducer | undefined;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: GATEWAY_MAX_IN_FLIGHT });
  private timer: NodeJS.Timeout | undefined;
  private counter = 0;
  private inFlight = 0;
  private pending = new Set<Promise<void>>();
  /** Gateway answers by status ('error' for no answer). */
  readonly gatewayAnswers: Record<string, number> = {};
  /** The last time the gateway answered 202, the last SDK acknowledgement. */
  lastGatewayAck = 0;
  smallSpoolProducerId = '';

  constructor(private readonly options: TrafficOptions) {
    this.ledger = new Ledger(options.ids);
    const producer = (dir: string, maxBytes?: number) =>
      createAuditProducer(
        {
          brokers: options.brokers.split(','),
          schemaRegistryUrl: options.registryUrl,
          clientId: 'chaos-harness',
          spool: { dir, ...(maxBytes ? { maxBytes } : {}) },
        },
        { logger: pino({ level: 'silent' }) },
      );
    this.sdk = producer(options.spoolDir('sdk'));
    if (options.smallSpool && options.smallSpool.rate > 0) {
      this.small = producer(options.spoolDir('sdk-small-spool'), options.smallSpool.maxBytes);
      this.smallSpoolProducerId = this.small.producerId;
    }
  }

  start(): void {
    let carry = 0;
    let smallCarry = 0;
    this.timer = setInterval(() => {
      carry += (this.options.rate * TICK_MS) / 1000 / 2;
      const n = Math.floor(carry);
      carry -= n;
      this.emitSdk(this.sdk, 'sdk', n);
      this.postGateway(n);
      if (this.small && this.options.smallSpool) {
        smallCarry += (this.options.smallSpool.rate * TICK_MS) / 1000;
        const m = Math.floor(smallCarry);
        smallCarry -= m;
        this.emitSdk(this.small, 'sdk-small-spool', m);
      }
    }, TICK_MS);
  }

  private emitSdk(producer: AuditProducer, via: Path, n: number): void {
    for (let k = 0; k < n; k++) {
      const { event, secret } = eventAt(this.counter++, this.options.tenant, this.options.secretEvery);
      try {
        const { id } = producer.emit(event);
        this.ledger.ack(id, { via, at: Date.now(), secret });
      } catch (err) {
        // The contract: a full spool throws SpoolFullError at once; the caller knows.
        if (err instanceof SpoolFullError) this.ledger.spoolFullAt.push(Date.now());
        this.ledger.refuse(
          err instanceof SpoolFullError ? `${via}: SpoolFullError` : `${via}: ${(err as Error).name}`,
        );
      }
    }
  }

  private postGateway(n: number): void {
    for (let sent = 0; sent < n; sent += GATEWAY_BATCH_MAX) {
      const size = Math.min(GATEWAY_BATCH_MAX, n - sent);
      if (this.inFlight >= GATEWAY_MAX_IN_FLIGHT) {
        // The gateway is slow or away: the client holds back rather than piling up sockets.
        this.ledger.refuse('gateway: client backlog (not sent)', size);
        continue;
      }
      const batch = Array.from({ length: size }, () => {
        const { event, secret } = eventAt(this.counter++, this.options.tenant, this.options.secretEvery);
        return { event: { ...event, id: randomUUID() }, secret };
      });
      const done = this.post(batch).finally(() => {
        this.inFlight--;
        this.pending.delete(done);
      });
      this.inFlight++;
      this.pending.add(done);
    }
  }

  private async post(batch: { event: AuditEventInput & { id: string }; secret: boolean }[]): Promise<void> {
    const body = JSON.stringify(batch.map((b) => b.event));
    let status: number;
    let answer = '';
    try {
      ({ status, body: answer } = await this.send(body));
    } catch {
      this.count('error');
      // The request may have reached the gateway and Kafka before the connection died.
      this.doubt(batch);
      return;
    }
    this.count(String(status));
    if (status === 202) {
      const ids = (JSON.parse(answer) as { ids?: string[] }).ids ?? [];
      const at = Date.now();
      this.lastGatewayAck = at;
      batch.forEach((b, i) => {
        const id = ids[i];
        if (id !== b.event.id)
          throw new Error(`the gateway answered id ${id} for the event sent as ${b.event.id}`);
        this.ledger.ack(id, { via: 'gateway', at, secret: b.secret });
      });
    } else if (status >= 500) {
      // A 5xx promises nothing either way: treat as in doubt, as a client retrying would.
      this.doubt(batch);
    } else {
      this.ledger.refuse(`gateway: ${status}`, batch.length);
    }
  }

  private doubt(batch: readonly { event: { id: string }; secret: boolean }[]): void {
    for (const b of batch) {
      this.ledger.inDoubt.add(b.event.id);
      if (b.secret) this.ledger.secretIds.add(b.event.id);
    }
  }

  private count(key: string): void {
    this.gatewayAnswers[key] = (this.gatewayAnswers[key] ?? 0) + 1;
  }

  private send(body: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        this.options.gatewayUrl,
        {
          method: 'POST',
          agent: this.agent,
          timeout: 30_000,
          headers: {
            authorization: `Bearer ${this.options.gatewayToken}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('gateway timeout')));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Stops sending, waits for the answers still due, and delivers what the SDK spools hold. */
  async stop(flushTimeoutMs = 180_000): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled([...this.pending]);
    this.agent.destroy();
    await Promise.all([this.sdk.close(flushTimeoutMs), this.small?.close(flushTimeoutMs)]);
  }

  /** Events in the SDK spools not yet acknowledged by Kafka. */
  get spooled(): number {
    return this.sdk.depth + (this.small?.depth ?? 0);
  }
}
