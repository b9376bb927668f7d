import { hexKeyFromEnv, REDACTION_KEY_ENV, REDACTION_KEY_FILE_ENV } from '@auditflow/schemas';
import { DEFAULT_KEY_NAMES_FILE, loadKeyNames } from './keys.ts';
import { KnownClean } from './known-clean.ts';
import { PairScanner } from './pairs.ts';
import { loadPiiPolicy } from './policy.ts';
import { loadRuleset } from './rules.ts';
import type { SanitizerContext } from './sanitize.ts';

/** Settings of the sanitizer, each read once at start (SPEC O3). */
export const SANITIZER_SETTINGS = {
  rules: 'AUDITFLOW_SANITIZER_RULES',
  keyNames: 'AUDITFLOW_SANITIZER_KEY_NAMES',
  piiPolicy: 'AUDITFLOW_PII_POLICY',
  pseudonymKey: 'AUDITFLOW_PSEUDONYM_KEY',
  pseudonymKeyFile: 'AUDITFLOW_PSEUDONYM_KEY_FILE',
  redactionKey: REDACTION_KEY_ENV,
  redactionKeyFile: REDACTION_KEY_FILE_ENV,
  eventBudgetMs: 'AUDITFLOW_SANITIZER_EVENT_BUDGET_MS',
} as const;

/** An event that takes longer than this to sanitize is quarantined rather than holding its partition. */
export const DEFAULT_EVENT_BUDGET_MS = 2000;

export interface SanitizerFiles {
  readonly rules?: string | URL;
  readonly keyNames?: string | URL;
  readonly piiPolicy?: string | URL;
}

/** Everything the pure transform needs, loaded and validated once. */
export function createSanitizerContext(
  keys: { readonly pseudonymKey: Buffer; readonly redactionKey: Buffer },
  files: SanitizerFiles = {},
  eventBudgetMs = DEFAULT_EVENT_BUDGET_MS,
): SanitizerContext {
  const keyNames = loadKeyNames(files.keyNames ?? DEFAULT_KEY_NAMES_FILE);
  return {
    ruleset: loadRuleset(files.rules),
    policy: loadPiiPolicy(files.piiPolicy),
    keyNames,
    pairs: new PairScanner(keyNames),
    knownClean: { texts: new KnownClean(), keys: new KnownClean() },
    pseudonymKey: keys.pseudonymKey,
    redactionKey: keys.redactionKey,
    eventBudgetMs,
  };
}

/** The sanitizer's context from the environment; throws one clear error per bad setting. */
export function sanitizerContextFromEnv(env: NodeJS.ProcessEnv): SanitizerContext {
  const s = SANITIZER_SETTINGS;
  const budget = env[s.eventBudgetMs] === undefined ? DEFAULT_EVENT_BUDGET_MS : Number(env[s.eventBudgetMs]);
  if (!Number.isInteger(budget) || budget < 10) {
    throw new Error(
      `${s.eventBudgetMs} must be a whole number of milliseconds, at least 10 (got ${env[s.eventBudgetMs]})`,
    );
  }
  return createSanitizerContext(
    {
      pseudonymKey: hexKeyFromEnv(env, s.pseudonymKey, s.pseudonymKeyFile, 'pseudonyms of PII'),
      redactionKey: hexKeyFromEnv(
        env,
        s.redactionKey,
        s.redactionKeyFile,
        'fingerprints in redaction markers',
      ),
    },
    { rules: env[s.rules], keyNames: env[s.keyNames], piiPolicy: env[s.piiPolicy] },
    budget,
  );
}
