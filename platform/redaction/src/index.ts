export {
  createSanitizerContext,
  DEFAULT_EVENT_BUDGET_MS,
  SANITIZER_SETTINGS,
  type SanitizerFiles,
  sanitizerContextFromEnv,
} from './context.ts';
export { KeyNames, keyWords, loadKeyNames } from './keys.ts';
export { PairScanner } from './pairs.ts';
export { loadPiiPolicy, mask, type PiiAction, type PiiPolicy, pseudonymise } from './policy.ts';
export { redactText } from './redact.ts';
export { loadRuleset, type Ruleset } from './rules.ts';
export { SanitizeBudgetError, type SanitizerContext, sanitizeEvent } from './sanitize.ts';
