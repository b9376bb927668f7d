import { describe, expect, it } from 'vitest';
import { run } from './exec.ts';
import { goInstallProgress } from './install.ts';

describe('goInstallProgress', () => {
  it('counts modules fetched and packages built, and names the latest', () => {
    const progress = goInstallProgress();
    expect(progress.status()).toBe('0 modules fetched, 0 packages built; latest: resolving modules');
    progress.onLine('go: downloading github.com/minio/minio v0.0.0-20260212201848-7aac2a2c5b7c');
    progress.onLine('go: downloading github.com/klauspost/compress v1.18.0');
    expect(progress.status()).toBe(
      '2 modules fetched, 0 packages built; latest: fetching github.com/klauspost/compress v1.18.0',
    );
    progress.onLine('internal/goarch');
    progress.onLine('github.com/minio/minio/internal/config');
    progress.onLine('go: some other notice');
    expect(progress.status()).toBe(
      '2 modules fetched, 2 packages built; latest: built github.com/minio/minio/internal/config',
    );
  });
});

describe('run with progress', () => {
  it('passes each output line on and reports the elapsed time while the command runs', async () => {
    const seen: string[] = [];
    const reports: string[] = [];
    await run('sh', ['-c', 'echo go: downloading a/b v1 >&2; printf "x/"; sleep 0.1; echo y; sleep 0.5'], {
      what: 'building a/b',
      progress: {
        report: (line) => reports.push(line),
        everyMs: 150,
        onLine: (line) => seen.push(line),
        status: () => `${seen.length} lines`,
      },
    });
    expect(seen).toEqual(['go: downloading a/b v1', 'x/y']);
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports[0]).toMatch(/^building a\/b: 0s so far; \d lines$/);
  });
});
