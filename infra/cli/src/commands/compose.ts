import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  COMPOSE_VERSION,
  checkComposeFile,
  installCompose,
  resolvePaths,
  StackError,
} from '@auditflow/stack';
import { Command } from 'commander';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export function composeCommand(): Command {
  const compose = new Command('compose').description(
    `docker-compose.yml, checked by Docker Compose ${COMPOSE_VERSION} (built from the Go module proxy; no Docker engine needed)`,
  );

  compose
    .command('check')
    .description(
      'run `docker-compose config --quiet` on the compose file (default services, then all profiles); ' +
        "exits 1 with compose's own message when it is invalid",
    )
    .argument('[file]', 'the compose file', resolve(REPO, 'docker-compose.yml'))
    .action(async (file: string) => {
      const path = resolve(file);
      if (!existsSync(path)) throw new StackError(`no compose file at ${path}`);
      const shown = relative(process.cwd(), path) || path;
      const started = Date.now();
      // The project directory is the file's own, as for `docker compose -f <file>`: relative
      // paths (build context, bind mounts) and `.env` are looked up there.
      const result = await checkComposeFile(resolvePaths(), path, { cwd: dirname(path), report: say });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (!result.valid) {
        say(
          `${shown} is not valid for Docker Compose ${COMPOSE_VERSION} (config --quiet, ${result.failed}):\n${result.output}`,
        );
        process.exitCode = 1;
        return;
      }
      if (result.output) say(result.output);
      say(
        `${shown}: valid for Docker Compose ${COMPOSE_VERSION} (default services and all profiles, ${seconds}s)`,
      );
    });

  compose
    .command('path')
    .description('build Docker Compose once (cached) and print the path of its docker-compose binary')
    .action(async () => {
      process.stdout.write(`${await installCompose(resolvePaths(), say)}\n`);
    });

  return compose;
}
