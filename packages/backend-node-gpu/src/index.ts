export { BackendUnavailableError } from './errors.js';
export {
  type BackendFallback,
  type InitNodeBackendOptions,
  type ModuleImporter,
  type NodeBackendEvent,
  type NodeBackendSelection,
  initNodeBackend,
} from './init.js';
export {
  NODE_BACKENDS,
  NODE_BACKEND_PACKAGES,
  type NodeBackendCandidate,
  type NodeBackendName,
  TFJS_BACKEND_NAMES,
  describeNodeBackend,
  parseNodeBackendName,
} from './names.js';
