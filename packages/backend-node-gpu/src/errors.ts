import { BackendUnavailableError as CoreBackendUnavailableError } from '@lstm-mnist/backend-core';

import type { NodeBackendName } from './names.js';

/**
 * Error thrown when a requested backend cannot be used, with `backend` typed as a `NodeBackendName`.
 * The class is the one from `@lstm-mnist/backend-core`, so `instanceof` also matches the errors of
 * `@lstm-mnist/backend-web`.
 */
export type BackendUnavailableError = CoreBackendUnavailableError<NodeBackendName>;
// NOTE: `error instanceof BackendUnavailableError` narrows to the generic core class, where `backend`
// is `any`. Annotate with this type to get `NodeBackendName`.
export const BackendUnavailableError = CoreBackendUnavailableError;
