import { spawn } from 'node:child_process';
import { StackError } from './errors.ts';

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion; rejects with the tail of its output when it fails. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; what: string; hint?: string },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
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
      if (code === 0) {
        resolve({ stdout, stderr });
        return;
      }
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-25).join('\n');
      reject(new StackError(`${options.what} failed (exit ${code}):\n${tail}`, { hint: options.hint }));
    });
  });
}
