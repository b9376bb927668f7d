/**
 * `pnpm bench [suite...] [--quick] [--json]`: measures our components and their baselines in
 * the same run on this machine. Suites: emit, processors, indexer. Needs the stack (started when not running).
 */
import { resolvePaths, stackEnv, stackUp } from '@auditflow/stack';
import { benchEmit } from './emit.ts';
import { benchIndexer } from './indexer.ts';
import { benchProcessors } from './processors.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const suites = args.filter((a) => !a.startsWith('--'));
const known = ['emit', 'processors', 'indexer'];
for (const suite of suites) {
  if (!known.includes(suite)) {
    process.stderr.write(`unknown benchmark '${suite}'; choose from: ${known.join(', ')}\n`);
    process.exit(2);
  }
}
const run = (suite: string) => suites.length === 0 || suites.includes(suite);

type Env = { KAFKA_BROKERS: string; SCHEMA_REGISTRY_URL: string; ELASTICSEARCH_URL: string };
const fromEnv = process.env as Partial<Env>;
let env: Env;
if (fromEnv.KAFKA_BROKERS && fromEnv.SCHEMA_REGISTRY_URL && fromEnv.ELASTICSEARCH_URL) {
  env = fromEnv as Env;
} else {
  await stackUp(resolvePaths(), {
    servers: ['kafka', 'registry', 'elasticsearch'],
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
if (run('indexer')) {
  Object.assign(
    results,
    await benchIndexer({
      brokers: env.KAFKA_BROKERS,
      registryUrl: env.SCHEMA_REGISTRY_URL,
      elasticsearchUrl: env.ELASTICSEARCH_URL,
      quick,
    }),
  );
}
if (json) process.stdout.write(`${JSON.stringify(results)}\n`);
process.exit(0);
