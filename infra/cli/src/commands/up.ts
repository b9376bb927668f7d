import { resolvePaths, type StackPaths, stackDown, stackEnv, stackUp } from '@auditflow/stack';
import { Command } from 'commander';
import { BUILD_COMMAND, buildPackages, describeBuild } from '../build.ts';
import { holdUntilSignal, Interrupted, untilSignal } from '../foreground.ts';
import {
  DEMO,
  type Deployment,
  EVERY_SERVICE,
  type PipelineService,
  pipelineFor,
  runningDeployment,
  servicePid,
  startService,
  stopService,
} from '../pipeline.ts';
import { Supervisor } from '../supervise.ts';
import { registerSchemas } from './schemas.ts';
import { ensureTopics } from './topics.ts';

const say = (line: string): void => void process.stderr.write(`${line}\n`);

async function down(options: { keepStack?: boolean }): Promise<void> {
  const paths = resolvePaths();
  for (const service of [DEMO, ...EVERY_SERVICE].reverse()) await stopService(service, paths, say);
  if (!options.keepStack) await stackDown(paths, { report: say });
}

/** Stops `mine` (the services this `up` launched), last started first, and names those left running. */
async function stopMine(mine: readonly PipelineService[], paths: StackPaths): Promise<void> {
  for (const service of [...mine].reverse()) await stopService(service, paths, say);
  for (const service of [...EVERY_SERVICE, DEMO]) {
    const pid = mine.includes(service) ? undefined : servicePid(service, paths);
    if (pid !== undefined) say(`${service.name}: left running (pid ${pid}; an earlier \`up\` started it)`);
  }
}

export function upCommands(): Command[] {
  const up = new Command('up')
    .description('start the local stack, topics, schemas and every pipeline service; --demo adds traffic')
    .option(
      '-d, --detach',
      'return once everything is ready (default: stay, and stop the services on Ctrl-C)',
    )
    .option('--demo', 'run a generator of realistic demo events (with planted fake secrets)')
    .option(
      '--split',
      'run the sanitizer and the enricher as two services (to scale them apart); default: one fused processor',
    )
    .action(async (options: { detach?: boolean; demo?: boolean; split?: boolean }) => {
      const deployment: Deployment = options.split ? 'split' : 'fused';
      const pipeline = pipelineFor(deployment);
      // In the foreground, listen from the start: a Ctrl-C while starting also stops what this
      // run started, instead of killing the CLI and leaving the services behind.
      const hold = options.detach
        ? undefined
        : holdUntilSignal({
            // One Ctrl-C reaches this process twice (from the terminal, and relayed by tsx).
            onRepeat: (_signal, sinceFirstMs) => {
              if (sinceFirstMs > 1000) say('still stopping the services (each gets SIGKILL after 30s)');
            },
          });
      const step = <T>(promise: Promise<T>): Promise<T> => untilSignal(hold, promise);
      const started = Date.now();
      const paths = resolvePaths();
      /** The services this run launched (not those an earlier `up` left running): Ctrl-C stops these. */
      const mine: PipelineService[] = [];
      try {
        // The services run with plain node from dist/: compile what changed first (and stop
        // here, before the stack starts, when the sources do not compile).
        say(`build: ${BUILD_COMMAND} (incremental: the packages whose sources changed)`);
        say(describeBuild(await step(buildPackages())));
        await step(stackUp(paths, { report: say }));
        const env = stackEnv(paths);
        for (const t of await step(ensureTopics(env.KAFKA_BROKERS, 6))) say(`topic ${t.topic}: ${t.state}`);
        for (const s of await step(registerSchemas(env.SCHEMA_REGISTRY_URL))) {
          say(`schema ${s.subject}: id ${s.id}`);
        }
        const other = runningDeployment(paths);
        if (other !== undefined && other !== deployment) {
          throw new Error(
            `the ${other} processors of an earlier \`up\` are running: stop them first (\`pnpm auditflow down --keep-stack\`), or run \`up${other === 'split' ? ' --split' : ''}\``,
          );
        }
        say(
          deployment === 'fused'
            ? 'processors: fused (sanitizer + enricher in one service; --split for two)'
            : 'processors: split (sanitizer and enricher as two services)',
        );
        for (const service of options.demo ? [...pipeline, DEMO] : pipeline) {
          if (servicePid(service, paths) === undefined) mine.push(service);
          await step(startService(service, paths, env, say));
        }
        say(`
Auditflow is running (${((Date.now() - started) / 1000).toFixed(0)}s). Where to look:
  http://127.0.0.1:8080/console#token=${env.AUDITFLOW_QUERY_TOKEN}
                                             the audit console, every tenant (the local operator's token)
  pnpm auditflow viewer-token --tenant acme --url   a console link for one tenant, valid 15 minutes
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
${
  hold
    ? 'A service that exits is restarted (with backoff). Ctrl-C stops the services this run started; `pnpm auditflow down` stops everything'
    : 'Stop everything with: pnpm auditflow down'
}`);
        if (!hold) return;
        // A service that exits (they do when they cannot go on) is started again, with backoff.
        const supervisor = new Supervisor(mine, paths, env, say);
        supervisor.start();
        const signal = await hold.signal;
        await supervisor.stop();
        say(
          `\n${signal}: stopping the services this run started (the stack keeps running; \`pnpm auditflow down\` stops it)`,
        );
        await stopMine(mine, paths);
        hold.release();
      } catch (err) {
        if (!(err instanceof Interrupted)) {
          hold?.release();
          throw err;
        }
        say(`\n${err.signal} while starting: stopping the services this run started`);
        await stopMine(mine, paths);
        // A stack install or server start cut short still runs in this process (and its
        // children got the terminal's Ctrl-C too): leave now, with 128 + the signal's number.
        process.exit(err.signal === 'SIGTERM' ? 143 : 130);
      }
    });

  const downCommand = new Command('down')
    .description('stop every pipeline service and the local stack')
    .option('--keep-stack', 'stop only the services')
    .action(down);

  return [up, downCommand];
}
