/**
 * Error thrown when a requested backend cannot be used. `reason` describes what failed and
 * `installHint` the next step, and the message contains both. `Name` is the set of backend names
 * of the package that throws it, such as `NodeBackendName`.
 */
export class BackendUnavailableError<Name extends string = string> extends Error {
  override readonly name = 'BackendUnavailableError';

  constructor(
    readonly backend: Name,
    readonly reason: string,
    readonly installHint: string,
    options?: { cause?: unknown },
  ) {
    super(`Backend '${backend}' is unavailable: ${reason}. To fix: ${installHint}`, options);
  }
}

/** Returns the text of a thrown value, which is not always an `Error` (the WASM loader rejects with `{ message }`). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') {
    return error.message;
  }
  return String(error);
}
