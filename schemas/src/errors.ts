/** One broken rule: which field (dotted path, `[i]` for items), which rule, and a sentence. */
export interface FieldIssue {
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

/** A malformed event. Not retriable: the same event fails the same way. */
export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
  readonly retriable = false;
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[]) {
    super(
      `invalid audit event: ${issues.map((i) => `${i.field || '(event)'}: ${i.message} [${i.rule}]`).join('; ')}`,
    );
    this.issues = issues;
  }
}
