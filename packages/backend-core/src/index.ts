/**
 * Code that `@lstm-mnist/backend-node-gpu` and `@lstm-mnist/backend-web` share. It imports only
 * `@tensorflow/tfjs-core`, so it runs in Node and in browsers.
 *
 * @packageDocumentation
 */
export { type ActivationResult, activateBackend } from './activate.js';
export { BackendUnavailableError, errorMessage } from './errors.js';
