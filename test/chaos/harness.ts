import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ArchiveStore } from '@auditflow/archive';
import { REDACTION_KEY_ENV } from '@auditflow/schemas';
import { Client } from '@elastic/elasticsearch';
import type { Deployment } from '../../infra/cli/src/pipeline.ts';
import { ARCHIVE_SIGNING_KEY_ENV } from '../support/archive.ts';
import { runCli } from '../support/cli.ts';
import {
  type DedicatedStack,
  dedicatedStack,
  SERVER_NAMES,
  type ServerName,
} from '../support/dedicated-stack.ts';
import { type Endpoints, endpointsFromEnv, s3ClientFor } from '../support/endpoints.ts';
import {
  pipelineOnPorts,
  type ServiceExit,
  ServiceProcess,
  type ServiceSpec,
} from '../support/pipeline-services.ts';
import { type MemorySample, sampleMemory } from './memory.ts';
import { SecretScanner } from './secrets.ts';
import { IdTable, Sightings, type Tally } from './sightings.ts';
import { ResumingSubscriber } from './sse-subscriber.ts';
import { Traffic } from './traffic.ts';
import { ArchiveWatcher, IndexWatcher } from './watchers.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

/** Node loads it itself (Node 24 strips the types): the services run from dist/ without tsx. */
const PROBE = fileURLToPath(new URL('./memory-probe.ts', import.meta.url));

export interface HarnessOptions {
  /** Events per second, half through the SDK, half through the gateway. */
  readonly rate: number;
  readonly secretEvery: number;
  /** Servers the harness runs itself (on ports from `serverPortBase`); the rest come from the environment. */
  readonly dedicated: readonly ServerName[];
  readonly serverPortBase: number;
  /** Added to each service's usual port. */
  readonly servicePortOffset: number;
  /** The processors as `auditflow up` runs them (fused, its default) or `up --split` does. */
  readonly deployment?: Deployment;
  readonly workDir: string;
  /** A second SDK producer with a tiny spool (the "full disk" case). */
  readonly smallSpool?: { readonly rate: number; readonly maxBytes: number };
  readonly log: (line: string) => void;
}

/** A service exit the harness did not cause: it was restarted, as a supervisor would. */
export interface UnplannedExit extends ServiceExit {
  readonly service: string;
}

/**
 * Everything a chaos or soak run needs, running: servers (its own where it will stop them),
 * fresh topics, index prefix and archive prefix, every pipeline service as a process, traffic
 * through the SDK and the gateway, a resuming SSE subscriber, a webhook receiver, and watchers
 * that note when each acknowledged event reached the index and the archive.
 */
export class Harness {
  readonly tenant = `chaos-${randomBytes(4).toString('hex')}`;
  readonly indexPrefix = `audit-events-chaos-${randomBytes(3).toString('hex')}`;
  readonly archivePrefix = `chaos-${randomBytes(3).toString('hex')}/`;
  readonly tokens = {
    gateway: randomBytes(24).toString('hex'),
    stream: randomBytes(24).toString('hex'),
    query: randomBytes(24).toString('hex'),
    webhook: randomBytes(24).toString('hex'),
  };
  readonly keys = { pseudonym: randomBytes(32).toString('hex'), redaction: randomBytes(32).toString('hex') };
  readonly services = new Map<string, ServiceProcess>();
  readonly unplannedExits: UnplannedExit[] = [];
  readonly memory = new Map<string, MemorySample[][]>();
  readonly startedAt = Date.now();
  /** Every event id of the run, numbered once: the ledger and every stage's tally share it. */
  readonly ids = new IdTable();
  stack: DedicatedStack | undefined;
  endpoints!: Endpoints;
  traffic!: Traffic;
  subscriber!: ResumingSubscriber;
  webhook!: WebhookReceiver;
  indexWatcher!: IndexWatcher;
  archiveWatcher!: ArchiveWatcher;
  es!: Client;
  store!: ArchiveStore;
  /** Planted secrets and this run's credentials, looked for in every sink and log. */
  readonly secrets: SecretScanner;
  private readonly expectedExits = new Set<string>();
  private memoryTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly dirs: { logs: string; spools: string; memory: string };

  constructor(readonly options: HarnessOptions) {
    this.dirs = {
      logs: join(options.workDir, 'logs'),
      spools: join(options.workDir, 'spools'),
      memory: join(options.workDir, 'memory'),
    };
    for (const dir of Object.values(this.dirs)) mkdirSync(dir, { recursive: true });
    this.secrets = new SecretScanner([
      ...Object.values(this.tokens),
      ...Object.values(this.keys),
      ARCHIVE_SIGNING_KEY_ENV,
    ]);
  }

  get logDir(): string {
    return this.dirs.logs;
  }

  private say(line: string): void {
    this.options.log(line);
  }

  /** Environment of every service and CLI call: the endpoints, tokens, keys and this run's prefixes. */
  env(): NodeJS.ProcessEnv {
    const inherited = { ...process.env };
    if (this.options.dedicated.includes('s3')) {
      // The shared stack's per-role S3 identities (AUDITFLOW_S3_<ROLE>_*) do not exist on this
      // run's own store: its root credentials (in the endpoints) serve every role here.
      for (const name of Object.keys(inherited))
        if (/^AUDITFLOW_S3_[A-Z]+_(ACCESS_KEY_ID|SECRET_ACCESS_KEY)$/.test(name)) delete inherited[name];
    }
    return {
      ...inherited,
      ...this.endpoints,
      AUDITFLOW_GATEWAY_TOKEN: this.tokens.gateway,
      AUDITFLOW_STREAM_TOKEN: this.tokens.stream,
      AUDITFLOW_QUERY_TOKEN: this.tokens.query,
      AUDITFLOW_PSEUDONYM_KEY: this.keys.pseudonym,
      [REDACTION_KEY_ENV]: this.keys.redaction,
      AUDITFLOW_ARCHIVE_SIGNING_KEY: ARCHIVE_SIGNING_KEY_ENV,
      AUDITFLOW_ARCHIVE_PREFIX: this.archivePrefix,
      AUDITFLOW_ARCHIVE_ROLL_SECONDS: '5',
      AUDITFLOW_INDEX_PREFIX: this.indexPrefix,
      AUDITFLOW_DESTINATIONS_FILE: join(this.options.workDir, 'destinations.json'),
      AUDITFLOW_WEBHOOK_SECRET: this.tokens.webhook,
      // The SDK's own limit: anything bigger came from a foreign producer.
      AUDITFLOW_MAX_EVENT_BYTES: '900000',
    };
  }

  async start(): Promise<void> {
    await this.startServers();
    for (const args of [
      ['topics', 'create'],
      ['schemas', 'register'],
    ]) {
      const r = await runCli(args, this.env());
      if (r.code !== 0) throw new Error(`auditflow ${args.join(' ')} failed: ${r.stderr}`);
    }
    this.webhook = new WebhookReceiver(this.tokens.webhook, this.ids, (body) =>
      this.secrets.scan('webhook', body),
    );
    const hookUrl = await this.webhook.listen();
    writeFileSync(
      join(this.options.workDir, 'destinations.json'),
      JSON.stringify({
        destinations: [
          {
            name: 'chaos-webhook',
            type: 'webhook',
            url: hookUrl,
            secrets: [{ env: 'AUDITFLOW_WEBHOOK_SECRET' }],
            start: 'earliest',
            filters: { tenant_id: this.tenant },
            retry: { initial_ms: 200, max_ms: 5000 },
            breaker: { failures: 5, cooldown_ms: 5000 },
          },
        ],
      }),
    );
    for (const spec of pipelineOnPorts(this.options.servicePortOffset, this.options.deployment)) {
      const service = this.service(spec);
      this.say(`starting ${spec.name} on :${spec.port}`);
      await service.start();
    }
    this.memoryTimer = setInterval(() => this.sampleMemory(), 5000);
    this.sampleMemory();

    this.es = new Client({ node: this.endpoints.ELASTICSEARCH_URL });
    this.store = new ArchiveStore(
      s3ClientFor(this.endpoints),
      this.endpoints.S3_BUCKET,
      5 * 2 ** 20,
      this.archivePrefix,
    );
    const streamer = this.port('streamer');
    this.traffic = new Traffic({
      tenant: this.tenant,
      brokers: this.endpoints.KAFKA_BROKERS,
      registryUrl: this.endpoints.SCHEMA_REGISTRY_URL,
      spoolDir: (name) => join(this.dirs.spools, name),
      gatewayUrl: `http://127.0.0.1:${this.port('gateway')}/v1/events`,
      gatewayToken: this.tokens.gateway,
      rate: this.options.rate,
      secretEvery: this.options.secretEvery,
      ids: this.ids,
      smallSpool: this.options.smallSpool,
    });
    this.subscriber = new ResumingSubscriber(
      `http://127.0.0.1:${streamer}/v1/stream?tenant_id=${this.tenant}`,
      this.tokens.stream,
      new Date(this.startedAt - 60_000).toISOString(),
      new Sightings(this.ids),
      // Only the corpus events can carry a planted secret; they carry its correlation id.
      (data) => data.includes('corr-') && this.secrets.scan('sse', data),
    );
    this.subscriber.start();
    this.indexWatcher = new IndexWatcher(
      this.es,
      `${this.indexPrefix}*`,
      this.traffic.ledger.order,
      this.ids,
    );
    this.archiveWatcher = new ArchiveWatcher(this.store, this.tenant, this.ids);
    this.indexWatcher.start();
    this.archiveWatcher.start();
    this.traffic.start();
    this.say(`traffic: ${this.options.rate} events/s for tenant ${this.tenant}`);
  }

  private async startServers(): Promise<void> {
    const fromEnv = endpointsFromEnv();
    if (this.options.dedicated.length > 0) {
      this.stack = dedicatedStack(this.options.serverPortBase);
      const names = this.options.dedicated;
      this.say(`starting dedicated ${names.join(', ')} (ports from ${this.options.serverPortBase})`);
      await Promise.all(names.map((n) => this.stack?.servers[n].start()));
    }
    const own = this.stack?.endpoints;
    const pick = (server: ServerName, keys: (keyof Endpoints)[]): Partial<Endpoints> => {
      const source = this.options.dedicated.includes(server) ? own : fromEnv;
      if (!source)
        throw new Error(`no ${server} endpoints: set the stack env (eval "$(pnpm -s auditflow stack env)")`);
      return Object.fromEntries(keys.map((k) => [k, source[k]]));
    };
    this.endpoints = {
      ...pick('kafka', ['KAFKA_BROKERS']),
      ...pick('registry', ['SCHEMA_REGISTRY_URL']),
      ...pick('elasticsearch', ['ELASTICSEARCH_URL']),
      ...pick('s3', ['S3_ENDPOINT', 'S3_BUCKET', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']),
    } as Endpoints;
  }

  /** Registers a service process, supervised: an exit the harness did not cause is restarted. */
  service(spec: ServiceSpec): ServiceProcess {
    const memoryFile = join(this.dirs.memory, `${spec.name}.json`);
    const service = new ServiceProcess(spec, {
      logDir: this.dirs.logs,
      env: () => ({
        ...this.env(),
        AUDITFLOW_SPOOL_DIR: join(this.dirs.spools, spec.name),
        AUDITFLOW_CHAOS_MEMORY_FILE: memoryFile,
      }),
      nodeArgs: ['--import', PROBE],
    });
    service.onExit = (exit) => {
      if (this.expectedExits.delete(spec.name)) return;
      this.unplannedExits.push({ service: spec.name, ...exit });
      this.say(`${spec.name} exited by itself (code ${exit.code}, signal ${exit.signal}); restarting it`);
      void this.restartLater(service);
    };
    this.services.set(spec.name, service);
    return service;
  }

  /** As a supervisor (compose's `restart: unless-stopped`): again after 1 s, backing off to 8 s while it keeps failing. */
  private async restartLater(service: ServiceProcess): Promise<void> {
    const recent = this.unplannedExits.filter(
      (e) => e.service === service.name && Date.now() - e.at < 30_000,
    );
    await sleep(Math.min(8000, 1000 * 2 ** Math.max(0, recent.length - 1)));
    if (!service.running && !this.closing) service.spawn();
  }

  port(name: string): number {
    const s = this.services.get(name);
    if (!s) throw new Error(`no service ${name}`);
    return s.spec.port;
  }

  get(name: string): ServiceProcess {
    const s = this.services.get(name);
    if (!s) throw new Error(`no service ${name}`);
    return s;
  }

  /** Kills (or stops) a service on purpose: the supervisor leaves that exit alone. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<ServiceExit> {
    this.expectedExits.add(name);
    const service = this.get(name);
    return signal === 'SIGTERM' ? ((await service.stop()) as ServiceExit) : service.kill(signal);
  }

  /** Every service answers /readyz with 200. */
  async allReady(): Promise<boolean> {
    const ready = await Promise.all([...this.services.values()].map((s) => s.isReady()));
    return ready.every(Boolean);
  }

  /** Stops an extra instance for good (gracefully) and forgets it. */
  async retire(name: string): Promise<void> {
    await this.kill(name, 'SIGTERM');
    this.services.delete(name);
  }

  /** The stages each acknowledged event must reach, as seen so far. */
  stages(): Record<string, Tally> {
    return {
      index: this.indexWatcher.seen,
      archive: this.archiveWatcher.seen,
      stream: this.subscriber.seen,
      webhook: this.webhook.seen,
    };
  }

  /**
   * Waits until every event acknowledged by `time` has reached every stage and every service is
   * ready again; the seconds from `time`, or undefined when that did not happen within the limit.
   */
  async caughtUp(
    time: number,
    timeoutMs: number,
  ): Promise<{ seconds: number | undefined; missing: Record<string, number> }> {
    let pending = this.traffic.ledger.ackedBy(time);
    const deadline = Date.now() + timeoutMs;
    let missing: Record<string, number> = {};
    for (;;) {
      const stages = Object.entries(this.stages());
      missing = Object.fromEntries(
        stages.map(([name, seen]) => [name, pending.filter((id) => !seen.has(id)).length]),
      );
      pending = pending.filter((id) => stages.some(([, seen]) => !seen.has(id)));
      if (pending.length === 0 && (await this.allReady()))
        return { seconds: (Date.now() - time) / 1000, missing };
      if (Date.now() > deadline) return { seconds: undefined, missing };
      await sleep(1000);
    }
  }

  private sampleMemory(): void {
    for (const s of this.services.values()) {
      const sample = sampleMemory(s.pid, join(this.dirs.memory, `${s.name}.json`));
      if (!sample) continue;
      const series = this.memory.get(s.name) ?? [];
      // One series per process lifetime: a restart starts a new one.
      if (series.length < s.starts) series.push([]);
      series.at(-1)?.push(sample);
      this.memory.set(s.name, series);
    }
  }

  /** Stops the traffic and waits (up to the limit) until everything acknowledged reached every stage. */
  async drain(timeoutMs: number): Promise<{ seconds: number | undefined; missing: Record<string, number> }> {
    const stopped = Date.now();
    await this.traffic.stop();
    this.say(
      `traffic stopped; waiting for the pipeline to drain (${this.traffic.ledger.acked.size} acknowledged)`,
    );
    return this.caughtUp(Date.now(), Math.max(0, timeoutMs - (Date.now() - stopped)));
  }

  /** Stops watchers, subscribers and services (gracefully: logs flushed) and the dedicated servers. */
  async shutdown(options: { keepWorkDir: boolean }): Promise<void> {
    this.closing = true;
    clearInterval(this.memoryTimer);
    await Promise.allSettled([
      this.subscriber?.close(),
      this.indexWatcher?.stop(),
      this.archiveWatcher?.stop(),
    ]);
    this.webhook?.close();
    for (const s of [...this.services.values()].reverse()) {
      this.expectedExits.add(s.name);
      await s.stop();
    }
    if (!this.options.dedicated.includes('elasticsearch') && this.es) {
      // Shared Elasticsearch: leave no indices or template behind (the archive's objects are locked).
      await this.es.indices.delete({ index: `${this.indexPrefix}*` }).catch(() => {});
      await this.es.indices.deleteIndexTemplate({ name: this.indexPrefix }).catch(() => {});
    }
    await this.es?.close();
    if (this.stack) {
      await this.stack.stop();
      for (const name of SERVER_NAMES)
        rmSync(this.stack.servers[name].paths.run, { recursive: true, force: true });
    }
    if (!options.keepWorkDir) rmSync(this.options.workDir, { recursive: true, force: true });
  }
}
