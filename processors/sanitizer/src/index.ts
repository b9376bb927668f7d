// The pure core lives in @auditflow/redaction (the SDK's local sinks run it too); this package is
// the processor that plugs it into the runtime. Re-exported so existing importers keep working.
export {
  createSanitizerContext,
  KeyNames,
  keyWords,
  loadKeyNames,
  loadPiiPolicy,
  loadRuleset,
  PairScanner,
  type PiiPolicy,
  pseudonymise,
  type Ruleset,
  redactText,
  SANITIZER_SETTINGS,
  SanitizeBudgetError,
  type SanitizerContext,
  sanitizeEvent,
  sanitizerContextFromEnv,
} from '@auditflow/redaction';
