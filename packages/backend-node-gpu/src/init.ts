import * as tf from '@tensorflow/tfjs-core';

import { activateBackend } from '@lstm-mnist/backend-core';

import { type BackendFailure, diagnoseImportFailure, installHintFor } from './diagnose.js';
import { BackendUnavailableError } from './errors.js';
import {
  AUTO_ORDER,
  NODE_BACKEND_PACKAGES,
  type NodeBackendCandidate,
  type NodeBackendName,
  TFJS_BACKEND_NAMES,
  parseNodeBackendName,
} from './names.js';

/** Loads a module by its specifier. The default is the runtime's dynamic `import()`. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

/** A backend that `auto` tried and passed over. */
export interface BackendFallback {
  name: NodeBackendCandidate;
  reason: string;
}

/** The backend that `initNodeBackend` made active. */
export interface NodeBackendSelection {
  name: NodeBackendCandidate;
  /** Name registered with tfjs-core, as `tf.getBackend()` returns it: `tensorflow`, `native-cpu`, `wasm` or `cpu`. */
  tfjsBackend: string;
  /** Backends tried before this one, in order, with the reason each was skipped. Empty for a forced choice. */
  fallbacks: BackendFallback[];
  /** True only when TensorFlow reports that it places operations on a GPU device. */
  gpu: boolean;
  /** For `wasm`: whether the SIMD build loaded, and the number of threads (always 1 in Node). */
  wasm?: { simd: boolean; threads: number };
}

/** Progress of `initNodeBackend`, one event per candidate tried and one for the result. */
export type NodeBackendEvent =
  | { type: 'backend-attempt'; backend: NodeBackendCandidate; packageName: string }
  | { type: 'backend-skipped'; backend: NodeBackendCandidate; reason: string; installHint: string }
  | { type: 'backend-warning'; backend: NodeBackendCandidate; message: string }
  | { type: 'backend-selected'; selection: NodeBackendSelection };

export interface InitNodeBackendOptions {
  /** Receives progress events. By default nothing is reported. */
  onEvent?: (event: NodeBackendEvent) => void;
  /** Replaces dynamic `import()`, so tests can simulate packages that fail to load. */
  importModule?: ModuleImporter;
}

const defaultImporter: ModuleImporter = (specifier) => import(specifier);

const NO_GPU_REASON =
  '@tensorflow/tfjs-node-gpu loaded, but TensorFlow found no GPU device, so it would run on the CPU';
const NO_GPU_HINT =
  'check that nvidia-smi lists the GPU and that the CUDA 11.2 and cuDNN 8.1 libraries are on LD_LIBRARY_PATH ' +
  '(PATH on Windows) ' +
  "(TensorFlow's own log lines name each library it could not load), or use --backend node";

/**
 * Picks, loads and activates a TensorFlow.js backend for Node.
 *
 * `auto` (the default) tries `node-gpu`, `node`, `native-cpu`, `wasm` and `cpu` in that order and keeps the first
 * that loads. A `node-gpu` that loads without finding a GPU is kept with a `backend-warning` event.
 * Any other name forces that backend, and a failure throws instead of falling back.
 * Importing a tfjs-node package activates its backend as a side effect, so after a throw the active
 * tfjs backend may have changed.
 *
 * @throws RangeError when `choice` is not one of `NODE_BACKENDS`.
 * @throws BackendUnavailableError when the forced backend cannot load (missing package, CUDA
 *   library not found, no GPU device for `node-gpu`), or when no backend at all loads under `auto`.
 */
export async function initNodeBackend(
  choice: NodeBackendName = 'auto',
  options: InitNodeBackendOptions = {},
): Promise<NodeBackendSelection> {
  const backend = parseNodeBackendName(choice);
  const emit = options.onEvent ?? (() => {});
  const importModule = options.importModule ?? defaultImporter;

  const selection =
    backend === 'auto'
      ? await initFirstAvailable(importModule, emit)
      : await initForced(backend, importModule, emit);
  emit({ type: 'backend-selected', selection });
  return selection;
}

async function initForced(
  backend: NodeBackendCandidate,
  importModule: ModuleImporter,
  emit: (event: NodeBackendEvent) => void,
): Promise<NodeBackendSelection> {
  const outcome = await loadCandidate(backend, importModule, emit);
  if (!outcome.ok) {
    throw new BackendUnavailableError(backend, outcome.failure.reason, outcome.failure.installHint, {
      cause: outcome.cause,
    });
  }
  if (backend === 'node-gpu' && outcome.gpuDevice === false) {
    throw new BackendUnavailableError(backend, NO_GPU_REASON, NO_GPU_HINT);
  }
  warnIfGpuUnknown(backend, outcome.gpuDevice, emit);
  return toSelection(backend, outcome, []);
}

async function initFirstAvailable(
  importModule: ModuleImporter,
  emit: (event: NodeBackendEvent) => void,
): Promise<NodeBackendSelection> {
  const fallbacks: BackendFallback[] = [];
  for (const backend of AUTO_ORDER) {
    const outcome = await loadCandidate(backend, importModule, emit);
    if (outcome.ok) {
      if (backend === 'node-gpu' && outcome.gpuDevice === false) {
        emit({ type: 'backend-warning', backend, message: `${NO_GPU_REASON}; to use the GPU, ${NO_GPU_HINT}` });
      }
      warnIfGpuUnknown(backend, outcome.gpuDevice, emit);
      return toSelection(backend, outcome, fallbacks);
    }
    fallbacks.push({ name: backend, reason: outcome.failure.reason });
    emit({ type: 'backend-skipped', backend, ...outcome.failure });
  }

  const reasons = fallbacks.map((fallback) => `${fallback.name}: ${fallback.reason}`).join('; ');
  throw new BackendUnavailableError('auto', `no backend loaded (${reasons})`, installHintFor('cpu'));
}

type CandidateOutcome =
  | { ok: true; gpuDevice: boolean | undefined; wasm?: { simd: boolean; threads: number } }
  | { ok: false; failure: BackendFailure; cause?: unknown };

/** Imports one backend's package, checks that it registered its tfjs backend, and activates it. */
async function loadCandidate(
  backend: NodeBackendCandidate,
  importModule: ModuleImporter,
  emit: (event: NodeBackendEvent) => void,
): Promise<CandidateOutcome> {
  const packageName = NODE_BACKEND_PACKAGES[backend];
  const tfjsName = TFJS_BACKEND_NAMES[backend];
  emit({ type: 'backend-attempt', backend, packageName });

  let loadedModule: unknown;
  try {
    loadedModule = await importModule(packageName);
  } catch (error) {
    return { ok: false, failure: diagnoseImportFailure(backend, error), cause: error };
  }
  if (tf.findBackendFactory(tfjsName) === null) {
    return { ok: false, failure: unbuiltAddonFailure(backend, loadedModule) ?? unregisteredFailure(backend, tfjsName) };
  }

  const activation = await activateBackend(tfjsName);
  if (!activation.ok) {
    const installHint = `reinstall the package: ${installHintFor(backend)}`;
    return { ok: false, failure: { reason: activation.reason, installHint }, cause: activation.cause };
  }
  return inspectActiveBackend(backend, loadedModule);
}

/**
 * Failure of `native-cpu` when its package loaded but the C++ addon is not built. The package
 * exports `nativeCpuUnavailableReason()`, which names the missing file and the build command.
 */
function unbuiltAddonFailure(backend: NodeBackendCandidate, loadedModule: unknown): BackendFailure | undefined {
  if (backend !== 'native-cpu') return undefined;
  const explain = (loadedModule as { nativeCpuUnavailableReason?: unknown } | undefined)?.nativeCpuUnavailableReason;
  const reason = typeof explain === 'function' ? (explain as () => unknown)() : undefined;
  if (typeof reason !== 'string') return undefined;
  return { reason, installHint: `${installHintFor(backend)}, or use --backend wasm` };
}

function unregisteredFailure(backend: NodeBackendCandidate, tfjsName: string): BackendFailure {
  const packageName = NODE_BACKEND_PACKAGES[backend];
  const coreVersion = tf.version_core;
  return {
    reason: `${packageName} loaded but no '${tfjsName}' backend is registered with @tensorflow/tfjs-core ${coreVersion}`,
    installHint: `install the matching version: npm install ${packageName}@${coreVersion}`,
  };
}

/** Reads what the now active backend reports about itself: the GPU flag of tfjs-node, the WASM build. */
async function inspectActiveBackend(
  backend: NodeBackendCandidate,
  loadedModule: unknown,
): Promise<CandidateOutcome> {
  if (backend === 'wasm') return { ok: true, gpuDevice: false, wasm: await describeWasm(loadedModule) };
  if (backend === 'cpu' || backend === 'native-cpu') return { ok: true, gpuDevice: false };

  // tfjs-node 4.22 sets both flags on its backend. Older versions may lack them, so each is optional.
  const instance = tf.backend() as { isGPUPackage?: unknown; isUsingGpuDevice?: unknown };
  if (typeof instance.isGPUPackage === 'boolean' && instance.isGPUPackage !== (backend === 'node-gpu')) {
    return { ok: false, failure: ownerConflict(instance.isGPUPackage ? 'node-gpu' : 'node') };
  }
  const gpuDevice = typeof instance.isUsingGpuDevice === 'boolean' ? instance.isUsingGpuDevice : undefined;
  return { ok: true, gpuDevice };
}

/** Failure when the other tfjs-node package registered the shared 'tensorflow' backend first. */
function ownerConflict(owner: 'node-gpu' | 'node'): BackendFailure {
  const ownerPackage = NODE_BACKEND_PACKAGES[owner];
  return {
    reason: `the 'tensorflow' backend in this process comes from ${ownerPackage}, which was loaded first`,
    installHint: `choose the backend before anything imports ${ownerPackage}, or use --backend ${owner}`,
  };
}

async function describeWasm(loadedModule: unknown): Promise<{ simd: boolean; threads: number }> {
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const getThreadsCount = (loadedModule as { getThreadsCount?: unknown } | undefined)?.getThreadsCount;
  const threads = typeof getThreadsCount === 'function' ? Number(getThreadsCount()) : 1;
  return { simd, threads };
}

function warnIfGpuUnknown(
  backend: NodeBackendCandidate,
  gpuDevice: boolean | undefined,
  emit: (event: NodeBackendEvent) => void,
): void {
  if (backend !== 'node-gpu' || gpuDevice !== undefined) return;

  // NOTE: tfjs-node 4.22 exposes `isUsingGpuDevice` on its backend. Without it, GPU use cannot be checked.
  emit({
    type: 'backend-warning',
    backend,
    message: 'this version of @tensorflow/tfjs-node-gpu does not report whether TensorFlow found a GPU device',
  });
}

function toSelection(
  backend: NodeBackendCandidate,
  outcome: Extract<CandidateOutcome, { ok: true }>,
  fallbacks: BackendFallback[],
): NodeBackendSelection {
  const selection: NodeBackendSelection = {
    name: backend,
    tfjsBackend: TFJS_BACKEND_NAMES[backend],
    fallbacks,
    gpu: outcome.gpuDevice === true,
  };
  if (outcome.wasm !== undefined) selection.wasm = outcome.wasm;
  return selection;
}
