import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, where the solution config tsconfig.build.json is. */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** What `pnpm build` runs: every workspace package's src/ compiled into its dist/. */
export const BUILD_COMMAND = 'tsc -b tsconfig.build.json';

export interface BuildResult {
  /** The packages tsc rebuilt (their directories), none when every dist/ was up to date. */
  readonly rebuilt: string[];
  readonly ms: number;
}

/**
 * Brings every package's dist/ up to date: an incremental `tsc -b` (about half a second when
 * nothing changed), so the services `up` starts with plain node run the current sources.
 * Rejects with tsc's own diagnostics when the sources do not compile.
 */
export async function buildPackages(): Promise<BuildResult> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const started = Date.now();
  const child = spawn(process.execPath, [tsc, '-b', 'tsconfig.build.json', '--verbose'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) {
    // --verbose's progress lines are timestamped; the diagnostics are what is left.
    const diagnostics = output
      .split('\n')
      .filter((line) => !/^\s*(\d{1,2}:\d{2}:\d{2}( [AP]M)? - |\* )/.test(line))
      .join('\n')
      .trim();
    throw new Error(`${BUILD_COMMAND} failed (exit ${code}):\n${diagnostics}`);
  }
  const rebuilt = [...output.matchAll(/Building project '([^']+)'/g)]
    .map((m) => relative(REPO, (m[1] as string).replace(/\/?tsconfig\.build\.json$/, '')))
    .filter((dir) => dir !== '');
  return { rebuilt, ms: Date.now() - started };
}

/** One line on what the build did, for `up`'s output. */
export function describeBuild(result: BuildResult): string {
  const seconds = (result.ms / 1000).toFixed(1);
  return result.rebuilt.length === 0
    ? `build: every dist/ up to date (${seconds}s)`
    : `build: compiled ${result.rebuilt.join(', ')} (${seconds}s)`;
}
