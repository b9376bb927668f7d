/**
 * The pure half of `auditflow doctor`: the environment checked against every service's own
 * settings schema (declared once in @auditflow/schemas, read by each service at start), how
 * check results add up to a verdict, and how they are printed. The probes (network I/O) live in
 * commands/doctor.ts.
 */
import { presentSettings, SERVICE_SETTINGS, type ServiceSettings, settingMetaOf } from '@auditflow/schemas';
import { z } from 'zod';

/** skip: not tried because what it depends on failed (the failure is reported on its own line). */
export type Level = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  readonly name: string;
  readonly level: Level;
  readonly detail: string;
  /** What to do about it; present on warn and fail. */
  readonly fix?: string;
}

/** One variable a service's declared schema refuses: the service, the variable, the rule. */
export interface SettingProblem {
  readonly service: string;
  readonly variable: string;
  readonly rule: string;
  /** The variable is not set (or empty). */
  readonly missing: boolean;
}

const unset = (value: string | undefined): boolean => value === undefined || value === '';

/**
 * Every problem each service's own settings schema (@auditflow/schemas' SERVICE_SETTINGS, the
 * schemas the services read at start) finds in `env`, in pipeline order and the schemas' order.
 */
export function settingProblems(
  env: Readonly<Record<string, string | undefined>>,
  services: readonly ServiceSettings[] = SERVICE_SETTINGS,
): SettingProblem[] {
  const read = presentSettings(env);
  return services.flatMap(({ service, schema }) => {
    const parsed = schema.safeParse(read);
    if (parsed.success) return [];
    return parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '(settings)');
      return { service, variable, rule: issue.message, missing: unset(read[variable]) };
    });
  });
}

/** The declared field of `variable` in the first service schema that has it. */
function fieldOf(variable: string, services: readonly ServiceSettings[]): z.ZodType | undefined {
  for (const { schema } of services) {
    const field = (schema.shape as Record<string, z.ZodType>)[variable];
    if (field) return field;
  }
  return undefined;
}

/** "every service", or the services by name. */
function readers(names: readonly string[], services: readonly ServiceSettings[]): string {
  const unique = [...new Set(names)];
  return unique.length === services.length ? 'every service' : unique.join(', ');
}

/** A rule's "not set: <fix>" or "not set (nor X): <fix>" without the fix (printed after the arrow). */
const missingText = (rule: string): string => /^not set(?: \(nor [A-Z0-9_]+\))?/.exec(rule)?.[0] ?? 'not set';

/**
 * Validates the environment the services will see against every service's own settings schema.
 * One result per bad variable (the services that refuse it, the rule, the fix), then a check that
 * each file a setting names exists; or one ok line when all are good.
 */
export function checkConfig(
  env: Readonly<Record<string, string | undefined>>,
  fileExists: (path: string) => boolean,
  /** Settings whose value came from the local stack's defaults, not the environment. */
  fromStack: ReadonlySet<string> = new Set(),
  services: readonly ServiceSettings[] = SERVICE_SETTINGS,
): CheckResult[] {
  const byVariable = new Map<string, SettingProblem[]>();
  for (const problem of settingProblems(env, services)) {
    byVariable.set(problem.variable, [...(byVariable.get(problem.variable) ?? []), problem]);
  }
  const problems: CheckResult[] = [];
  for (const [variable, found] of byVariable) {
    const first = found[0] as SettingProblem;
    const meta = settingMetaOf(fieldOf(variable, services) ?? z.never());
    const who = readers(
      found.map((p) => p.service),
      services,
    );
    const value = env[variable] ?? '';
    // Secrets are never echoed back, only their length.
    const shown =
      meta?.secret || /TOKEN|SECRET|KEY$/.test(variable) ? `(${value.length} characters)` : `'${value}'`;
    problems.push({
      name: `config ${variable}`,
      level: 'fail',
      detail: first.missing
        ? `${missingText(first.rule)} (needed by ${who})`
        : `${shown} ${first.rule} (read by ${who})`,
      fix: meta?.fix ?? first.rule,
    });
  }
  // Settings naming a file: the file must be there (the service reads it at start).
  const declared = new Map<string, string[]>();
  for (const { service, schema } of services)
    for (const variable of Object.keys(schema.shape))
      declared.set(variable, [...(declared.get(variable) ?? []), service]);
  for (const [variable, names] of declared) {
    const value = env[variable];
    if (unset(value) || byVariable.has(variable)) continue;
    const meta = settingMetaOf(fieldOf(variable, services) ?? z.never());
    if (meta?.file && !fileExists(value as string)) {
      problems.push({
        name: `config ${variable}`,
        level: 'fail',
        detail: `file ${value} does not exist (read by ${readers(names, services)})`,
        fix: meta.fix,
      });
    }
  }
  if (problems.length > 0) return problems;
  const valid = [...declared.keys()].filter((v) => !unset(env[v])).length;
  const defaults = [...declared.keys()].filter((v) => fromStack.has(v)).length;
  return [
    {
      name: 'config',
      level: 'ok',
      detail: `${valid} settings valid${defaults > 0 ? ` (${defaults} from the local stack; the environment overrides them)` : ''}`,
    },
  ];
}

/** True when every value the named settings hold passed checkConfig (so a probe may use them). */
export function usable(config: readonly CheckResult[], ...names: string[]): boolean {
  return !config.some((c) => c.level === 'fail' && names.some((n) => c.name === `config ${n}`));
}

export interface Verdict {
  readonly ok: boolean;
  readonly exitCode: number;
  readonly counts: Record<Level, number>;
}

/** Any fail makes the run fail; warnings (e.g. services not started) do not. */
export function verdict(results: readonly CheckResult[]): Verdict {
  const counts: Record<Level, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const r of results) counts[r.level]++;
  return { ok: counts.fail === 0, exitCode: counts.fail === 0 ? 0 : 1, counts };
}

/** One line per check: level, name, detail, and the fix after an arrow. */
export function formatResult(result: CheckResult, nameWidth = 24): string {
  const fix = result.fix && result.level !== 'ok' ? `  -> ${result.fix}` : '';
  return `${result.level.padEnd(4)}  ${result.name.padEnd(nameWidth)}  ${result.detail}${fix}`;
}

export function formatSummary(v: Verdict): string {
  const { ok, warn, fail, skip } = v.counts;
  return `${v.ok ? 'healthy' : 'problems found'}: ${ok} ok, ${warn} warn, ${fail} fail, ${skip} skipped`;
}

/**
 * How a service's /readyz answer reads. Nothing listening is "not running" (a warning: the
 * user may simply not have run `up`), while a process that answers but is not ready fails.
 */
export function serviceResult(
  name: string,
  port: number,
  answer: { status: number } | { error: string },
  logPath: string,
): CheckResult {
  const check = `service ${name}`;
  if ('status' in answer) {
    if (answer.status === 200) return { name: check, level: 'ok', detail: `ready on 127.0.0.1:${port}` };
    return {
      name: check,
      level: 'fail',
      detail: `running on 127.0.0.1:${port} but /readyz answers ${answer.status}`,
      fix: `it is starting or a dependency is down; read its log: ${logPath}`,
    };
  }
  if (/ECONNREFUSED/.test(answer.error)) {
    return {
      name: check,
      level: 'warn',
      detail: `not running (nothing on 127.0.0.1:${port})`,
      fix: 'start the pipeline with: pnpm auditflow up --detach',
    };
  }
  return {
    name: check,
    level: 'fail',
    detail: `127.0.0.1:${port}/readyz did not answer: ${answer.error}`,
    fix: 'the process may be hung; restart it with pnpm auditflow down --keep-stack && pnpm auditflow up -d',
  };
}
