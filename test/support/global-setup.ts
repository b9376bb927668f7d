import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolvePaths, stackDown, stackEnv, stackUp } from '@auditflow/stack';
import { buildPackages, describeBuild } from '../../infra/cli/src/build.ts';
import { type Endpoints, endpointsFromEnv } from './endpoints.ts';

const exec = promisify(execFile);

async function dockerAnswers(): Promise<boolean> {
  try {
    await exec('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * First the build (incremental `tsc -b`): the tests start the pipeline services as shipped, with
 * plain node from each package's dist/, so `pnpm test:e2e` alone runs the current sources.
 *
 * Where the integration tests' servers come from, in order: endpoints already in the
 * environment; containers when a Docker engine answers; otherwise `auditflow stack up`.
 * Whatever this setup started, it stops at the end (AUDITFLOW_KEEP_STACK=1 keeps the local stack).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const log = (line: string): void => void process.stderr.write(`[integration setup] ${line}\n`);
  let endpoints: Endpoints | undefined = endpointsFromEnv();
  let stop = async (): Promise<void> => {};
  log(describeBuild(await buildPackages()));

  if (endpoints) {
    log(`using servers from the environment (Kafka ${endpoints.KAFKA_BROKERS})`);
  } else if (process.env.AUDITFLOW_TEST_SERVERS !== 'stack' && (await dockerAnswers())) {
    log('a Docker engine answers: starting containers with testcontainers');
    const { startContainers } = await import('./containers.ts');
    const containers = await startContainers();
    endpoints = containers.endpoints;
    stop = containers.stop;
  } else {
    log('no endpoints in the environment and no Docker engine: running `auditflow stack up`');
    const paths = resolvePaths();
    const results = await stackUp(paths, { report: log });
    const startedHere = results.filter((r) => !r.alreadyRunning).map((r) => r.name);
    endpoints = stackEnv(paths);
    stop = async () => {
      if (process.env.AUDITFLOW_KEEP_STACK === '1' || startedHere.length === 0) return;
      await stackDown(paths, { servers: startedHere, report: log });
    };
  }

  Object.assign(process.env, endpoints);
  return stop;
}
