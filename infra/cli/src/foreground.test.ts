import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { holdUntilSignal, Interrupted, type SignalSource, untilSignal } from './foreground.ts';

const fakeProcess = (): EventEmitter & SignalSource => new EventEmitter() as EventEmitter & SignalSource;

describe('holdUntilSignal', () => {
  it('resolves with the first signal, sends later ones to onRepeat, and stops listening on release', async () => {
    const source = fakeProcess();
    const repeats: string[] = [];
    const hold = holdUntilSignal({
      source,
      onRepeat: (sig, sinceFirstMs) => repeats.push(`${sig} ${sinceFirstMs < 1000 ? 'soon' : 'late'}`),
    });
    expect(hold.received).toBeUndefined();
    source.emit('SIGTERM', 'SIGTERM');
    await expect(hold.signal).resolves.toBe('SIGTERM');
    expect(hold.received).toBe('SIGTERM');
    source.emit('SIGINT', 'SIGINT');
    expect(repeats).toEqual(['SIGINT soon']);
    hold.release();
    expect(source.listenerCount('SIGINT') + source.listenerCount('SIGTERM')).toBe(0);
  });

  it('keeps a real process alive until SIGINT, then lets it exit 0 (not 13)', async () => {
    const module = fileURLToPath(new URL('./foreground.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=auditflow-source',
        '--input-type=module',
        '-e',
        `const { holdUntilSignal } = await import(${JSON.stringify(module)});
         const hold = holdUntilSignal();
         console.log('holding');
         console.log(await hold.signal);
         hold.release();`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('holding')) resolve();
      }),
    );
    // Before the fix the process ended here on its own, with "unsettled top-level await" (13).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(child.exitCode).toBeNull();
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('SIGINT');
  }, 20_000);
});

describe('untilSignal', () => {
  it('passes the step through without a hold, or when the step wins', async () => {
    await expect(untilSignal(undefined, Promise.resolve(1))).resolves.toBe(1);
    const hold = holdUntilSignal({ source: fakeProcess() });
    await expect(untilSignal(hold, Promise.resolve(2))).resolves.toBe(2);
    hold.release();
  });

  it('rejects with Interrupted when the signal comes first, or came before', async () => {
    const source = fakeProcess();
    const hold = holdUntilSignal({ source });
    const never = new Promise<never>(() => {});
    const racing = untilSignal(hold, never);
    source.emit('SIGINT', 'SIGINT');
    await expect(racing).rejects.toBeInstanceOf(Interrupted);
    await expect(untilSignal(hold, Promise.resolve(3))).rejects.toMatchObject({ signal: 'SIGINT' });
    hold.release();
  });
});
