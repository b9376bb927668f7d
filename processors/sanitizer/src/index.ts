export { loadPiiPolicy, type PiiPolicy, pseudonymise } from './policy.ts';
export { redactText } from './redact.ts';
export { loadRuleset, type Ruleset } from './rules.ts';
export { type SanitizerContext, sanitizeEvent } from './sanitize.ts';
