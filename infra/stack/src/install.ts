import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from './errors.ts';
import { type RunProgress, run } from './exec.ts';

/**
 * Installation steps shared by the servers. Each writes a `.complete` marker last, so a download
 * or build cut short is redone on the next `stack up` instead of being mistaken for an install.
 */

export function isInstalled(dir: string): boolean {
  return existsSync(join(dir, '.complete'));
}

async function installOnce(dir: string, install: (dir: string) => Promise<void>): Promise<void> {
  if (isInstalled(dir)) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await install(dir);
  writeFileSync(join(dir, '.complete'), `${new Date().toISOString()}\n`);
}

export interface MavenDependency {
  readonly groupId: string;
  readonly artifactId: string;
  readonly version: string;
}

const MAVEN_HINT =
  'needs Maven (apt-get install maven) and access to Maven Central; check ~/.m2/settings.xml mirrors';

/** Resolves dependencies with their transitive closure into `<dir>/libs` through Maven. */
export function installMavenClasspath(dir: string, dependencies: readonly MavenDependency[]): Promise<void> {
  return installOnce(dir, async () => {
    const deps = dependencies
      .map(
        (d) =>
          `    <dependency><groupId>${d.groupId}</groupId><artifactId>${d.artifactId}</artifactId><version>${d.version}</version></dependency>`,
      )
      .join('\n');
    writeFileSync(
      join(dir, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.auditflow.stack</groupId><artifactId>classpath</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
${deps}
  </dependencies>
</project>
`,
    );
    await run('mvn', ['-B', '-q', 'dependency:copy-dependencies', `-DoutputDirectory=${join(dir, 'libs')}`], {
      cwd: dir,
      what: `resolving ${dependencies.map((d) => `${d.artifactId}:${d.version}`).join(', ')} from Maven Central`,
      hint: MAVEN_HINT,
    });
  });
}

/** Copies one artifact (e.g. `group:artifact:version:zip`) from Maven Central into `dir`. */
export function installMavenArtifact(dir: string, coordinates: string): Promise<string> {
  return installOnce(dir, async () => {
    await run(
      'mvn',
      ['-B', '-q', 'dependency:copy', `-Dartifact=${coordinates}`, `-DoutputDirectory=${dir}`],
      {
        cwd: dir,
        what: `downloading ${coordinates} from Maven Central`,
        hint: MAVEN_HINT,
      },
    );
  }).then(() => {
    const file = readdirSync(dir).find((name) => name !== '.complete' && name !== 'pom.xml');
    if (!file) throw new Error(`no artifact file in ${dir}`);
    return join(dir, file);
  });
}

/**
 * Follows `go install -v` output: `go: downloading <module> <version>` while fetching from the
 * module proxy, then one import path per package compiled.
 */
export function goInstallProgress(): Required<Pick<RunProgress, 'onLine' | 'status'>> {
  let downloaded = 0;
  let built = 0;
  let latest = 'resolving modules';
  return {
    onLine(line) {
      const download = /^go: downloading (\S+) (\S+)/.exec(line);
      if (download) {
        downloaded++;
        latest = `fetching ${download[1]} ${download[2]}`;
      } else if (/^[\w.~-]+(\/[\w.~+-]+)*$/.test(line)) {
        built++;
        latest = `built ${line}`;
      }
    },
    status: () => `${downloaded} modules fetched, ${built} packages built; latest: ${latest}`,
  };
}

/** Builds a Go command with `go install module@version` into `<dir>/bin`. */
export function installGoBinary(
  dir: string,
  modulePath: string,
  version: string,
  report?: (line: string) => void,
): Promise<void> {
  return installOnce(dir, async () => {
    report?.(
      `fetching ${modulePath}@${version} and its modules from the Go module proxy and building it (minutes the first time; progress every 15s)`,
    );
    const started = Date.now();
    await run('go', ['install', '-v', `${modulePath}@${version}`], {
      cwd: dir,
      env: { ...process.env, GOBIN: join(dir, 'bin'), CGO_ENABLED: '0' },
      what: `building ${modulePath}@${version} with go install`,
      hint: 'needs Go 1.24+ (apt-get install golang, or from go.dev) and access to the Go module proxy',
      progress: report ? { report, ...goInstallProgress() } : undefined,
    });
    report?.(`built ${modulePath} in ${Math.round((Date.now() - started) / 1000)}s`);
  });
}

/** What `go mod download -json module@version` says about the module it put in the module cache. */
export interface GoModuleSource {
  readonly path: string;
  readonly version: string;
  /** The module's source, unpacked (read-only) in the module cache. */
  readonly dir: string;
}

/** Reads the JSON object `go mod download -json module@version` prints (one module). */
export function parseGoModDownload(stdout: string): GoModuleSource {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`go mod download -json printed no JSON object:\n${stdout.trim().slice(0, 500)}`);
  }
  const record = (parsed ?? {}) as Record<string, unknown>;
  const text = (key: string): string | undefined =>
    typeof record[key] === 'string' && record[key] !== '' ? (record[key] as string) : undefined;
  const name = `${text('Path') ?? '?'}@${text('Version') ?? '?'}`;
  const error = text('Error');
  if (error) throw new Error(`go mod download ${name}: ${error}`);
  const path = text('Path');
  const version = text('Version');
  const dir = text('Dir');
  if (!path || !version || !dir)
    throw new Error(`go mod download ${name}: no Path, Version or Dir in its JSON`);
  return { path, version, dir };
}

export interface GoModuleBuild {
  readonly modulePath: string;
  readonly version: string;
  /** The main package inside the module, e.g. `./cmd`. */
  readonly pkg: string;
  /** The binary's name in `<dir>/bin`. */
  readonly binary: string;
  readonly ldflags?: string;
  /** Go build tags, e.g. Prometheus's `remove_all_sd` (no cloud service discovery to compile). */
  readonly tags?: readonly string[];
}

/**
 * Builds a main package of a module into `<dir>/bin/<binary>`, for modules `go install
 * module@version` refuses (a go.mod with replace or exclude directives): `go mod download` puts
 * the module's source in the module cache, and `go build -mod=mod` there resolves its own
 * go.mod from the module proxy.
 */
export function buildGoModule(
  dir: string,
  build: GoModuleBuild,
  report?: (line: string) => void,
): Promise<void> {
  const name = `${build.modulePath}@${build.version}`;
  const hint = 'needs Go 1.24+ (apt-get install golang, or from go.dev) and access to the Go module proxy';
  return installOnce(dir, async () => {
    report?.(
      `fetching ${name} and its modules from the Go module proxy and building ${build.binary} (minutes the first time; progress every 15s)`,
    );
    const started = Date.now();
    const env = { ...process.env, CGO_ENABLED: '0' };
    const download = await run('go', ['mod', 'download', '-json', name], {
      cwd: dir,
      env,
      what: `fetching ${name} from the Go module proxy`,
      hint,
    });
    let source: GoModuleSource;
    try {
      source = parseGoModDownload(download.stdout);
    } catch (err) {
      throw new StackError(err instanceof Error ? err.message : String(err), { hint });
    }
    const args = ['build', '-v', '-trimpath', '-o', join(dir, 'bin', build.binary)];
    if (build.ldflags) args.push(`-ldflags=${build.ldflags}`);
    if (build.tags?.length) args.push(`-tags=${build.tags.join(',')}`);
    args.push(build.pkg);
    await run('go', args, {
      cwd: source.dir,
      // GOWORK=off: a module that ships a go.work (Prometheus does) would otherwise refuse -mod=mod.
      env: { ...env, GOFLAGS: '-mod=mod', GOWORK: 'off' },
      what: `building ${build.binary} from ${name}`,
      hint,
      progress: report ? { report, ...goInstallProgress() } : undefined,
    });
    report?.(`built ${build.binary} (${name}) in ${Math.round((Date.now() - started) / 1000)}s`);
  });
}

/** Unpacks a .zip or .tar.gz into `target` (once). */
export async function unpack(archive: string, target: string): Promise<void> {
  await installOnce(target, async () => {
    if (archive.endsWith('.zip')) {
      await run('unzip', ['-q', archive, '-d', target], {
        what: `unpacking ${archive}`,
        hint: 'apt-get install unzip',
      });
    } else {
      await run('tar', ['-xzf', archive, '-C', target], { what: `unpacking ${archive}` });
    }
  });
}
