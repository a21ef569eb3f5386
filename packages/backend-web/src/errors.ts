import { BackendUnavailableError as CoreBackendUnavailableError } from '@lstm-mnist/backend-core';

import type { WebBackendName } from './names.js';

/**
 * Error thrown when a requested backend cannot be used, with `backend` typed as a `WebBackendName`.
 * The class is the one from `@lstm-mnist/backend-core`, so `instanceof` also matches the errors of
 * `@lstm-mnist/backend-node-gpu`.
 */
export type BackendUnavailableError = CoreBackendUnavailableError<WebBackendName>;
// NOTE: `error instanceof BackendUnavailableError` narrows to the generic core class, where `backend`
// is `any`. Annotate with this type to get `WebBackendName`.
export const BackendUnavailableError = CoreBackendUnavailableError;
