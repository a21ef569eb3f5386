export { type WebCapabilities, type WebGlobalScope, detectWebCapabilities } from './capabilities.js';
export { BackendUnavailableError } from './errors.js';
export {
  type InitWebBackendOptions,
  type ModuleImporter,
  type WasmPaths,
  type WebBackendEvent,
  type WebBackendSelection,
  initWebBackend,
} from './init.js';
export {
  WEB_BACKENDS,
  WEB_BACKEND_PACKAGES,
  type WebBackendCandidate,
  type WebBackendName,
  describeWebBackend,
  parseWebBackendName,
} from './names.js';
export { type WebBackendFallback, type WebBackendPlan, planWebBackends } from './plan.js';
