/**
 * Marks an error whose message alone states what failed and what to do, so the CLI prints it as
 * one line without a stack trace. `cause` keeps the underlying error for debugging.
 */
export class UserFacingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserFacingError';
  }
}
