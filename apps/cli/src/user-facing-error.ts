/**
 * Marks an error whose message alone states what failed and what to do, so the CLI prints it as
 * one line without a stack trace and exits with status 1. `cause` keeps the underlying error for debugging.
 */
export class UserFacingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserFacingError';
  }
}

/**
 * A usage error that only a command's action can detect, such as two flags that must go together.
 * The CLI prints it as one line and exits with status 2, as for an invalid flag value.
 */
export class UsageError extends UserFacingError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
