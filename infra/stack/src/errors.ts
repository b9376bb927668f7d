/**
 * An error a person can act on: what went wrong, and in `hint` what to do about it.
 * `retriable` follows kafkajs' convention: true when the same call may succeed later.
 */
export class StackError extends Error {
  override readonly name = 'StackError';
  readonly hint: string | undefined;
  readonly retriable: boolean;

  constructor(message: string, options: { hint?: string; retriable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.hint = options.hint;
    this.retriable = options.retriable ?? false;
  }
}
