import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StackError } from './errors.ts';

export interface Jdk {
  readonly home: string;
  readonly major: number;
}

function majorOf(home: string): number | undefined {
  const release = join(home, 'release');
  if (!existsSync(release) || !existsSync(join(home, 'bin', 'java'))) return undefined;
  const match = /^JAVA_VERSION="(\d+)(?:\.(\d+))?/m.exec(readFileSync(release, 'utf8'));
  if (!match?.[1]) return undefined;
  // Java 8 and older report "1.8".
  return match[1] === '1' ? Number(match[2]) : Number(match[1]);
}

/** Every JDK on the machine: $JAVA_HOME, the $AUDITFLOW_JDK_DIRS list, and /usr/lib/jvm. */
export function findJdks(env: NodeJS.ProcessEnv = process.env): Jdk[] {
  const candidates = new Set<string>();
  if (env.JAVA_HOME) candidates.add(env.JAVA_HOME);
  for (const dir of (env.AUDITFLOW_JDK_DIRS ?? '').split(':').filter(Boolean)) candidates.add(dir);
  for (const root of ['/usr/lib/jvm', '/usr/local/lib/jvm', '/opt/java']) {
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root)) candidates.add(join(root, name));
  }
  const byMajor = new Map<string, Jdk>();
  for (const home of candidates) {
    const major = majorOf(home);
    if (major !== undefined && !byMajor.has(home)) byMajor.set(home, { home, major });
  }
  return [...byMajor.values()].sort((a, b) => a.major - b.major);
}

/**
 * The oldest JDK that is at least `min` (and at most `max` when given): the most conservative
 * runtime a server supports.
 */
export function pickJdk(server: string, min: number, max = Number.POSITIVE_INFINITY, jdks = findJdks()): Jdk {
  const jdk = jdks.find((candidate) => candidate.major >= min && candidate.major <= max);
  if (jdk) return jdk;
  const found = jdks.map((candidate) => `${candidate.major} (${candidate.home})`).join(', ') || 'none';
  throw new StackError(
    `${server} needs Java ${min}${Number.isFinite(max) ? `-${max}` : '+'}; found: ${found}`,
    {
      hint: `install a JDK ${min} or newer (apt-get install openjdk-${min}-jdk-headless), or point AUDITFLOW_JDK_DIRS at one`,
    },
  );
}
