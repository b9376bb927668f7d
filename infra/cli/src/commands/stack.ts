import { spawn } from 'node:child_process';
import {
  formatEnv,
  logFile,
  resolvePaths,
  SERVERS,
  stackDown,
  stackEnv,
  stackStatus,
  stackUp,
} from '@auditflow/stack';
import { Command } from 'commander';

const serverNames = SERVERS.map((server) => server.name).join(', ');
const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export function stackCommand(): Command {
  const stack = new Command('stack').description(
    'the local servers: Kafka, schema registry, Elasticsearch, S3 store (installed without Docker)',
  );

  stack
    .command('up')
    .description('install what is missing and start the servers on 127.0.0.1; a no-op when they run')
    .argument('[servers...]', `only these (${serverNames})`)
    .action(async (servers: string[]) => {
      const started = Date.now();
      await stackUp(resolvePaths(), { servers, report: say });
      say(`stack ready in ${((Date.now() - started) / 1000).toFixed(1)}s. Point clients at it with:`);
      say('  eval "$(pnpm -s auditflow stack env)"');
    });

  stack
    .command('down')
    .description('stop the servers that `stack up` started (nothing else)')
    .argument('[servers...]', `only these (${serverNames})`)
    .action(async (servers: string[]) => {
      await stackDown(resolvePaths(), { servers, report: say });
    });

  stack
    .command('status')
    .description('each server: pid, port, version, whether it answers')
    .option('--json', 'machine-readable output')
    .action(async (options: { json?: boolean }) => {
      const statuses = await stackStatus(resolvePaths());
      if (options.json) {
        process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
        return;
      }
      const rows = statuses.map((s) => [
        s.name,
        s.ready ? 'up' : s.pid ? 'starting/unhealthy' : 'down',
        String(s.pid ?? '-'),
        `127.0.0.1:${s.port}`,
        s.rssBytes === undefined ? '-' : `${Math.round(s.rssBytes / 2 ** 20)} MiB`,
        s.version ?? '-',
      ]);
      const header = ['SERVER', 'STATE', 'PID', 'ADDRESS', 'RSS', 'VERSION'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
      for (const row of [header, ...rows]) {
        process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}\n`);
      }
      const total = statuses.reduce((sum, s) => sum + (s.rssBytes ?? 0), 0);
      process.stdout.write(`total RSS: ${Math.round(total / 2 ** 20)} MiB\n`);
      if (statuses.some((s) => !s.ready)) process.exitCode = 1;
    });

  stack
    .command('env')
    .description('KEY=VALUE lines for the local stack: eval "$(pnpm -s auditflow stack env)"')
    .option('--plain', 'only KEY=VALUE lines (for env files), without the closing `export` line')
    .action((options: { plain?: boolean }) => {
      const env = stackEnv(resolvePaths());
      process.stdout.write(`${formatEnv(env)}\n`);
      // After eval, the variables must reach child processes (Python clients, our services),
      // not just the shell: a closing export line does that without changing the KEY=VALUE lines.
      if (!options.plain) process.stdout.write(`export ${Object.keys(env).join(' ')}\n`);
    });

  stack
    .command('logs')
    .description("print a server's log")
    .argument('<server>', serverNames)
    .option('-n, --lines <n>', 'how many lines', '100')
    .option('-f, --follow', 'keep printing as the log grows')
    .action(async (server: string, options: { lines: string; follow?: boolean }) => {
      const file = logFile(resolvePaths(), server);
      const args = ['-n', options.lines, ...(options.follow ? ['-F'] : []), file];
      await new Promise<void>((resolve) => {
        spawn('tail', args, { stdio: 'inherit' }).on('close', (code) => {
          process.exitCode = code ?? 0;
          resolve();
        });
      });
    });

  return stack;
}
