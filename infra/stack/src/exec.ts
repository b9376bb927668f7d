import { spawn } from 'node:child_process';
import { StackError } from './errors.ts';

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Progress of a long command: a line every `everyMs` with the elapsed time and `status()`. */
export interface RunProgress {
  readonly report: (line: string) => void;
  /** Default 15 s. */
  readonly everyMs?: number;
  /** Sees each complete line the command writes (stdout and stderr). */
  readonly onLine?: (line: string) => void;
  /** Appended to each progress line, e.g. what is being fetched or built. */
  readonly status?: () => string;
}

/** Calls `onLine` with each complete line of a stream's chunks. */
function lines(onLine: ((line: string) => void) | undefined): (chunk: string) => void {
  let partial = '';
  return (chunk) => {
    if (!onLine) return;
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) if (line.trim() !== '') onLine(line.trim());
  };
}

/** Runs a command to completion; rejects with the tail of its output when it fails. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; what: string; hint?: string; progress?: RunProgress },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const progress = options.progress;
    const started = Date.now();
    const heartbeat = progress
      ? setInterval(() => {
          const status = progress.status?.();
          const elapsed = Math.round((Date.now() - started) / 1000);
          progress.report(`${options.what}: ${elapsed}s so far${status ? `; ${status}` : ''}`);
        }, progress.everyMs ?? 15_000)
      : undefined;
    heartbeat?.unref();
    let stdout = '';
    let stderr = '';
    const outLines = lines(progress?.onLine);
    const errLines = lines(progress?.onLine);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      outLines(chunk.toString());
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      errLines(chunk.toString());
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearInterval(heartbeat);
      const missing = err.code === 'ENOENT';
      reject(
        new StackError(
          missing ? `${options.what}: '${command}' is not installed` : `${options.what}: ${err.message}`,
          {
            hint: options.hint,
            cause: err,
          },
        ),
      );
    });
    child.on('close', (code) => {
      clearInterval(heartbeat);
      if (code === 0) {
        resolve({ stdout, stderr });
        return;
      }
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-25).join('\n');
      reject(new StackError(`${options.what} failed (exit ${code}):\n${tail}`, { hint: options.hint }));
    });
  });
}
