/**
 * `pnpm bench [suite...] [--quick] [--json]`: measures our components and their baselines in
 * the same run on this machine. Suites: emit, processors. Needs the stack (started when not running).
 */
import { resolvePaths, stackEnv, stackUp } from '@auditflow/stack';
import { benchEmit } from './emit.ts';
import { benchProcessors } from './processors.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const suites = args.filter((a) => !a.startsWith('--'));
const known = ['emit', 'processors'];
for (const suite of suites) {
  if (!known.includes(suite)) {
    process.stderr.write(`unknown benchmark '${suite}'; choose from: ${known.join(', ')}\n`);
    process.exit(2);
  }
}
const run = (suite: string) => suites.length === 0 || suites.includes(suite);

let env: { KAFKA_BROKERS: string; SCHEMA_REGISTRY_URL: string };
if (process.env.KAFKA_BROKERS && process.env.SCHEMA_REGISTRY_URL) {
  env = { KAFKA_BROKERS: process.env.KAFKA_BROKERS, SCHEMA_REGISTRY_URL: process.env.SCHEMA_REGISTRY_URL };
} else {
  await stackUp(resolvePaths(), {
    servers: ['kafka', 'registry'],
    report: (l) => process.stderr.write(`${l}\n`),
  });
  env = stackEnv(resolvePaths());
}

const results: Record<string, number | string> = {
  date: new Date().toISOString(),
  machine: `${(await import('node:os')).cpus().length} cores, node ${process.version}`,
};
if (run('emit')) {
  Object.assign(
    results,
    await benchEmit({ brokers: env.KAFKA_BROKERS, registryUrl: env.SCHEMA_REGISTRY_URL, quick }),
  );
}
if (run('processors')) {
  Object.assign(
    results,
    await benchProcessors({ brokers: env.KAFKA_BROKERS, registryUrl: env.SCHEMA_REGISTRY_URL, quick }),
  );
}
if (json) process.stdout.write(`${JSON.stringify(results)}\n`);
process.exit(0);
