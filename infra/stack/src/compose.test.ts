import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPOSE_VERSION, checkComposeFile, composeBinary, composeCheckRuns, composeDir } from './compose.ts';
import { parseGoModDownload } from './install.ts';
import { resolvePaths } from './paths.ts';

describe('compose cache paths', () => {
  it('sits beside MinIO in <AUDITFLOW_HOME>/dist, keyed by version', () => {
    const paths = resolvePaths({ AUDITFLOW_HOME: '/opt/af' });
    expect(composeDir(paths)).toBe(`/opt/af/dist/docker-compose-${COMPOSE_VERSION}`);
    expect(composeBinary(paths, 'v2.40.1')).toBe('/opt/af/dist/docker-compose-v2.40.1/bin/docker-compose');
    expect(composeDir(resolvePaths({}))).toBe(
      join(homedir(), '.cache', 'auditflow', 'dist', `docker-compose-${COMPOSE_VERSION}`),
    );
  });
});

describe('parseGoModDownload', () => {
  it('takes the module source directory from go mod download -json', () => {
    const stdout = `{
\t"Path": "github.com/docker/compose/v2",
\t"Version": "v2.40.3",
\t"Info": "/root/go/pkg/mod/cache/download/github.com/docker/compose/v2/@v/v2.40.3.info",
\t"Dir": "/root/go/pkg/mod/github.com/docker/compose/v2@v2.40.3",
\t"Sum": "h1:abc="
}
`;
    expect(parseGoModDownload(stdout)).toEqual({
      path: 'github.com/docker/compose/v2',
      version: 'v2.40.3',
      dir: '/root/go/pkg/mod/github.com/docker/compose/v2@v2.40.3',
    });
  });

  it("reports the proxy's error, and output that is not the expected JSON", () => {
    expect(() =>
      parseGoModDownload(
        '{"Path": "github.com/docker/compose/v2", "Version": "v2.99.0", "Error": "unknown revision v2.99.0"}',
      ),
    ).toThrow('go mod download github.com/docker/compose/v2@v2.99.0: unknown revision v2.99.0');
    expect(() => parseGoModDownload('go: no network')).toThrow(/printed no JSON object:\ngo: no network/);
    expect(() => parseGoModDownload('{"Path": "a/b", "Version": "v1.0.0"}')).toThrow(
      /no Path, Version or Dir/,
    );
  });
});

describe('composeCheckRuns', () => {
  it('checks the default services and then every profile', () => {
    expect(composeCheckRuns('/r/docker-compose.yml').map((r) => r.args)).toEqual([
      ['--file', '/r/docker-compose.yml', 'config', '--quiet'],
      ['--file', '/r/docker-compose.yml', '--profile', '*', 'config', '--quiet'],
    ]);
  });
});

describe('checkComposeFile with a cached compose', () => {
  /** A stand-in compose in the cache (with its .complete marker), so nothing is built. */
  function cachedCompose(script: string) {
    const cache = mkdtempSync(join(tmpdir(), 'auditflow-compose-'));
    const paths = { cache, run: join(cache, 'run') };
    const dir = composeDir(paths, 'v0.0.0-test');
    mkdirSync(join(dir, 'bin'), { recursive: true });
    writeFileSync(join(dir, '.complete'), 'test\n');
    writeFileSync(join(dir, 'bin', 'docker-compose'), `#!/bin/sh\n${script}\n`);
    chmodSync(join(dir, 'bin', 'docker-compose'), 0o755);
    return { paths, cwd: cache };
  }

  it('passes when every run exits 0, keeping the warnings', async () => {
    const { paths, cwd } = cachedCompose('echo "WARN[0000] a warning" >&2');
    const reports: string[] = [];
    const result = await checkComposeFile(paths, 'docker-compose.yml', {
      cwd,
      version: 'v0.0.0-test',
      report: (line) => reports.push(line),
    });
    expect(result).toEqual({ valid: true, output: 'WARN[0000] a warning' });
    expect(reports).toEqual([]);
  });

  it("fails with compose's own message and names the run", async () => {
    const { paths, cwd } = cachedCompose(
      'case "$*" in *profile*) echo "service \\"demo\\" depends on undefined service \\"gw\\": invalid compose project" >&2; exit 15;; esac',
    );
    const result = await checkComposeFile(paths, 'docker-compose.yml', { cwd, version: 'v0.0.0-test' });
    expect(result).toEqual({
      valid: false,
      failed: 'all profiles',
      output: 'service "demo" depends on undefined service "gw": invalid compose project',
    });
  });
});
