import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type Deployment, pipelineFor } from '../../infra/cli/src/pipeline.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Linux's first ephemeral port (net.ipv4.ip_local_port_range): the OS hands out ports from here. */
const FIRST_EPHEMERAL_PORT = 32_768;

/** The variable that moves each of `auditflow up`'s services to another port. */
const PORT_ENV: Readonly<Record<string, string>> = {
  sanitizer: 'AUDITFLOW_HEALTH_PORT',
  enricher: 'AUDITFLOW_HEALTH_PORT',
  fused: 'AUDITFLOW_HEALTH_PORT',
  indexer: 'AUDITFLOW_HEALTH_PORT',
  archiver: 'AUDITFLOW_HEALTH_PORT',
  streamer: 'AUDITFLOW_STREAM_PORT',
  'query-api': 'AUDITFLOW_QUERY_PORT',
  gateway: 'AUDITFLOW_GATEWAY_PORT',
};

export interface ServiceSpec {
  readonly name: string;
  readonly entry: string;
  /** Where /readyz answers. */
  readonly port: number;
  /** The variables of this service only (its port, instance id...), over the shared environment. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * What `auditflow up` runs (its PIPELINE list, in its start order), each on `offset` plus its
 * usual port so a developer's `auditflow up` and other test runs do not collide.
 */
export function pipelineOnPorts(offset: number, deployment: Deployment = 'split'): ServiceSpec[] {
  return pipelineFor(deployment).map((s) => {
    const portEnv = PORT_ENV[s.name];
    if (!portEnv || s.port === undefined)
      throw new Error(`auditflow up runs '${s.name}', which pipeline-services.ts does not know how to move`);
    const port = s.port + offset;
    // Above it, a listener can find its port taken by the local end of any client connection
    // (EADDRINUSE: the hostile e2e test lost its query API's 38080 that way once).
    if (port >= FIRST_EPHEMERAL_PORT)
      throw new Error(`${s.name} on ${port}: offsets must keep test ports below ${FIRST_EPHEMERAL_PORT}`);
    // An instance id of its own per offset: `auditflow up`'s ids would share transactional ids
    // with another run on the same broker, and the two would fence each other.
    const instance = { AUDITFLOW_INSTANCE_ID: `${s.name}-${offset}` };
    return { name: s.name, entry: s.entry, port, env: { ...s.env, ...instance, [portEnv]: String(port) } };
  });
}

/** A second instance of a service (another port and instance id), e.g. to take over from a frozen one. */
export function secondInstance(spec: ServiceSpec, port: number, instanceId: string): ServiceSpec {
  const portEnv = PORT_ENV[spec.name] as string;
  return {
    ...spec,
    name: `${spec.name}-2`,
    port,
    env: { ...spec.env, [portEnv]: String(port), AUDITFLOW_INSTANCE_ID: instanceId },
  };
}

export interface ServiceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly at: number;
}

/**
 * One service as its own process (plain node on its built dist/ entry, from the repository root,
 * as `auditflow up` runs it), its output appended
 * to `<logDir>/<name>.log`. Start, signal, restart; `onExit` hears every exit.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<ServiceExit> = Promise.resolve({ code: null, signal: null, at: 0 });
  readonly log: string;
  starts = 0;
  onExit: (exit: ServiceExit) => void = () => {};

  constructor(
    readonly spec: ServiceSpec,
    private readonly options: {
      readonly logDir: string;
      readonly env: () => NodeJS.ProcessEnv;
      /** Extra node options before the entry (e.g. `--import` of a probe). */
      readonly nodeArgs?: readonly string[];
    },
  ) {
    this.log = join(options.logDir, `${spec.name}.log`);
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process (not waiting for readiness). */
  spawn(extraEnv: Readonly<Record<string, string>> = {}): void {
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.child?.pid})`);
    const log = openSync(this.log, 'a');
    const child = spawn(process.execPath, [...(this.options.nodeArgs ?? []), this.spec.entry], {
      cwd: REPO,
      env: { ...this.options.env(), ...this.spec.env, ...extraEnv },
      stdio: ['ignore', log, log],
      // Its own process group: when the group of a stopped (SIGSTOP) process becomes orphaned, as
      // it does when some other member exits under a shell without job control, the kernel
      // sends it SIGHUP and the "zombie" of a fault dies instead of thawing with its batch.
      detached: true,
    });
    closeSync(log);
    this.child = child;
    this.starts++;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        const exit = { code, signal, at: Date.now() };
        resolve(exit);
        this.onExit(exit);
      });
    });
  }

  /** Spawns and waits until /readyz answers 200. */
  async start(timeoutMs = 180_000): Promise<void> {
    this.spawn();
    await this.ready(timeoutMs);
  }

  async isReady(): Promise<boolean> {
    return fetch(`http://127.0.0.1:${this.spec.port}/readyz`, { signal: AbortSignal.timeout(2000) })
      .then((r) => r.ok)
      .catch(() => false);
  }

  async ready(timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited during start:\n${this.tail()}`);
      if (await this.isReady()) return;
      if (Date.now() > deadline) throw new Error(`${this.name} not ready within ${timeoutMs / 1000} s`);
      await sleep(250);
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child?.kill(signal);
  }

  /** Sends the signal and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ServiceExit> {
    const exited = this.exited;
    this.signal(signal);
    return exited;
  }

  /** Graceful stop (SIGTERM, SIGKILL after `graceMs`), as an operator would. */
  async stop(graceMs = 30_000): Promise<ServiceExit | undefined> {
    if (!this.running) return undefined;
    const exited = this.exited;
    this.child?.kill('SIGCONT'); // a frozen process cannot handle SIGTERM
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const exit = await exited;
    clearTimeout(timer);
    return exit;
  }

  /** The last lines of its log. */
  tail(lines = 30): string {
    try {
      return readFileSync(this.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
