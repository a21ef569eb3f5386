import type { NodeBackendName } from './names.js';

/**
 * Error thrown when a requested backend cannot be used. `reason` describes what failed and
 * `installHint` the next step, and the message contains both.
 */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';

  constructor(
    readonly backend: NodeBackendName,
    readonly reason: string,
    readonly installHint: string,
    options?: { cause?: unknown },
  ) {
    super(`Backend '${backend}' is unavailable: ${reason}. To fix: ${installHint}`, options);
  }
}
