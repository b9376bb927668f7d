import { resolvePaths, stackDown, stackEnv, stackUp } from '@auditflow/stack';
import { Command } from 'commander';
import { DEMO, PIPELINE, startService, stopService } from '../pipeline.ts';
import { registerSchemas } from './schemas.ts';
import { ensureTopics } from './topics.ts';

const say = (line: string): void => void process.stderr.write(`${line}\n`);

async function down(options: { keepStack?: boolean }): Promise<void> {
  const paths = resolvePaths();
  for (const service of [DEMO, ...PIPELINE].reverse()) await stopService(service, paths, say);
  if (!options.keepStack) await stackDown(paths, { report: say });
}

export function upCommands(): Command[] {
  const up = new Command('up')
    .description('start the local stack, topics, schemas and every pipeline service; --demo adds traffic')
    .option(
      '-d, --detach',
      'return once everything is ready (default: stay, and stop the services on Ctrl-C)',
    )
    .option('--demo', 'run a generator of realistic demo events (with planted fake secrets)')
    .action(async (options: { detach?: boolean; demo?: boolean }) => {
      const started = Date.now();
      const paths = resolvePaths();
      await stackUp(paths, { report: say });
      const env = stackEnv(paths);
      for (const t of await ensureTopics(env.KAFKA_BROKERS, 6)) say(`topic ${t.topic}: ${t.state}`);
      for (const s of await registerSchemas(env.SCHEMA_REGISTRY_URL)) say(`schema ${s.subject}: id ${s.id}`);
      for (const service of PIPELINE) await startService(service, paths, env, say);
      if (options.demo) await startService(DEMO, paths, env, say);
      say(`
Auditflow is running (${((Date.now() - started) / 1000).toFixed(0)}s). Where to look:
  pnpm auditflow tail [--action 'git.*']      follow events live (streamer on :8090)
  pnpm auditflow search --from 1h            events as analysts see them (query API on :8080)
  pnpm auditflow summary --from 1h           counts, failure rate, top actors
  curl -H "Authorization: Bearer $AUDITFLOW_GATEWAY_TOKEN" -H 'content-type: application/json' \\
       -d @event.json http://127.0.0.1:8070/v1/events      ingest over HTTP
  curl http://127.0.0.1:9200/audit-events/_search           the index (Kibana under docker compose)
  pnpm auditflow verify                      check the S3 archive's signed digests (MinIO console :9001)
  pnpm auditflow reconcile --from 1h         account for every event at every stage
  pnpm auditflow stack logs kafka / services' logs under ${paths.run}/services
  eval "$(pnpm -s auditflow stack env)"      endpoints and tokens for any client
Stop everything with: pnpm auditflow down`);
      if (options.detach) return;
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      say('stopping the pipeline services (the stack keeps running; `pnpm auditflow down` stops it)');
      for (const service of [DEMO, ...PIPELINE].reverse()) await stopService(service, paths, say);
    });

  const downCommand = new Command('down')
    .description('stop every pipeline service and the local stack')
    .option('--keep-stack', 'stop only the services')
    .action(down);

  return [up, downCommand];
}
