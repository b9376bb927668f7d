import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
