import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { StackError } from './errors.ts';
import { buildGoModule } from './install.ts';
import type { StackPaths } from './paths.ts';

/**
 * Docker Compose v2, built from the Go module proxy, to check docker-compose.yml the way the
 * users' `docker compose` reads it (no Docker engine is needed for `config`).
 */
export const COMPOSE_MODULE = 'github.com/docker/compose/v2';
export const COMPOSE_VERSION = 'v2.40.3';

/** Where one version of compose is built: `<cache>/dist/docker-compose-<version>`. */
export function composeDir(paths: StackPaths, version = COMPOSE_VERSION): string {
  return join(paths.cache, 'dist', `docker-compose-${version}`);
}

export function composeBinary(paths: StackPaths, version = COMPOSE_VERSION): string {
  return join(composeDir(paths, version), 'bin', 'docker-compose');
}

/** Builds compose once per version (a no-op when cached); returns the binary. */
export async function installCompose(
  paths: StackPaths,
  report?: (line: string) => void,
  version = COMPOSE_VERSION,
): Promise<string> {
  await buildGoModule(
    composeDir(paths, version),
    {
      modulePath: COMPOSE_MODULE,
      version,
      pkg: './cmd',
      binary: 'docker-compose',
      // What `docker-compose version` prints, as in compose's own release build.
      ldflags: `-s -w -X ${COMPOSE_MODULE}/internal.Version=${version}`,
    },
    report,
  );
  return composeBinary(paths, version);
}

/**
 * The `config --quiet` runs that check a compose file: once as `docker compose up` reads it
 * (services of no profile), once with every profile on (`*`), so services behind a profile
 * (the demo) and what they depend on are checked too.
 */
export function composeCheckRuns(file: string): { readonly label: string; readonly args: string[] }[] {
  return [
    { label: 'default services', args: ['--file', file, 'config', '--quiet'] },
    { label: 'all profiles', args: ['--file', file, '--profile', '*', 'config', '--quiet'] },
  ];
}

export interface ComposeCheckResult {
  readonly valid: boolean;
  /** Compose's own output of the run that failed (or its warnings when all passed). */
  readonly output: string;
  /** Which run failed, see composeCheckRuns. */
  readonly failed?: string;
}

function runCompose(
  binary: string,
  args: readonly string[],
  cwd: string,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', (err) => reject(new StackError(`running ${binary}: ${err.message}`, { cause: err })));
    child.on('close', (code) => resolve({ code, output: output.trim() }));
  });
}

/**
 * Runs `docker-compose config --quiet` on `file` (builds compose first when it is not cached).
 * Interpolation sees this process's environment and the `.env` beside the file, as `docker
 * compose` would.
 */
export async function checkComposeFile(
  paths: StackPaths,
  file: string,
  options: { cwd: string; report?: (line: string) => void; version?: string },
): Promise<ComposeCheckResult> {
  const binary = await installCompose(paths, options.report, options.version);
  const warnings: string[] = [];
  for (const run of composeCheckRuns(file)) {
    const { code, output } = await runCompose(binary, run.args, options.cwd);
    if (code !== 0) return { valid: false, output: output || `exit ${code}`, failed: run.label };
    if (output && !warnings.includes(output)) warnings.push(output);
  }
  return { valid: true, output: warnings.join('\n') };
}
