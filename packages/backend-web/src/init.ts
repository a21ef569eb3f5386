import * as tf from '@tensorflow/tfjs-core';
import type { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

import { activateBackend, errorMessage } from '@lstm-mnist/backend-core';

import { type WebCapabilities, type WebGlobalScope, detectWebCapabilities } from './capabilities.js';
import { BackendUnavailableError } from './errors.js';
import {
  WEB_AUTO_ORDER,
  WEB_BACKEND_PACKAGES,
  type WebBackendCandidate,
  type WebBackendName,
  parseWebBackendName,
} from './names.js';
import { type WebBackendFallback, planWebBackends } from './plan.js';

/** Loads a module by its specifier. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

/** Location of the WASM backend's `.wasm` files: a folder URL ending in `/`, or one URL per file name. */
export type WasmPaths = Parameters<typeof setWasmPaths>[0];

/** The backend that `initWebBackend` made active. */
export interface WebBackendSelection {
  /** The backend, which is also its tfjs-core name (`tf.getBackend()`). */
  name: WebBackendCandidate;
  tfjsBackend: WebBackendCandidate;
  /** Backends passed over before this one, in order, with reasons. Empty for a forced choice. */
  fallbacks: WebBackendFallback[];
  /** For `wasm`: whether the SIMD build loaded, and the number of threads it uses. */
  wasm?: { simd: boolean; threads: number };
}

/** Progress of `initWebBackend`, one event per candidate tried or skipped, and one for the result. */
export type WebBackendEvent =
  | { type: 'backend-attempt'; backend: WebBackendCandidate; packageName: string }
  | { type: 'backend-skipped'; backend: WebBackendCandidate; reason: string }
  | { type: 'backend-selected'; selection: WebBackendSelection };

export interface InitWebBackendOptions {
  /**
   * Location of the WASM backend's `.wasm` files, passed to `setWasmPaths` before it initialises.
   * Bundled pages need it because the files are not part of the JavaScript bundle. By default they are
   * fetched relative to the script that contains the backend, and in Node read from node_modules.
   * Ignored once the WASM backend has initialised in this page or process.
   */
  wasmPaths?: WasmPaths;
  /** Receives progress events. By default nothing is reported. */
  onEvent?: (event: WebBackendEvent) => void;
  /** Capabilities to plan with. By default `detectWebCapabilities(scope)`. */
  capabilities?: WebCapabilities;
  /** Global scope to read capabilities and `navigator.gpu` from. By default `globalThis`. */
  scope?: WebGlobalScope;
  /** Replaces the dynamic `import()` of the backend packages, so tests can simulate failures. */
  importModule?: ModuleImporter;
}

/** Literal specifiers, so that bundlers find each backend package and split it into its own chunk. */
const BACKEND_LOADERS: Readonly<Record<string, () => Promise<unknown>>> = {
  '@tensorflow/tfjs-backend-webgpu': () => import('@tensorflow/tfjs-backend-webgpu'),
  '@tensorflow/tfjs-backend-webgl': () => import('@tensorflow/tfjs-backend-webgl'),
  '@tensorflow/tfjs-backend-wasm': () => import('@tensorflow/tfjs-backend-wasm'),
  '@tensorflow/tfjs-backend-cpu': () => import('@tensorflow/tfjs-backend-cpu'),
};

const defaultImporter: ModuleImporter = (specifier) => {
  const load = BACKEND_LOADERS[specifier];
  if (load === undefined) return Promise.reject(new Error(`No loader for module '${specifier}'`));
  return load();
};

const FIX_HINTS: Readonly<Record<WebBackendCandidate, string>> = {
  webgpu: 'use a browser with WebGPU enabled, or choose webgl, wasm or cpu',
  webgl: 'enable hardware acceleration (WebGL) in the browser, or choose wasm or cpu',
  wasm:
    'use a browser with WebAssembly, check that the page can fetch the .wasm files (the wasmPaths option), ' +
    'or choose cpu',
  cpu: `reinstall ${WEB_BACKEND_PACKAGES.cpu}`,
};

/**
 * Picks, loads and activates a TensorFlow.js backend in a browser page or worker.
 *
 * `auto` (the default) tries `webgpu`, `webgl`, `wasm` and `cpu` in that order, skipping those whose
 * browser feature is missing, and keeps the first that initialises. Any other name forces that
 * backend, and a failure throws instead of falling back. `wasm` and `cpu` also work in Node.
 *
 * @throws RangeError when `choice` is not one of `WEB_BACKENDS`.
 * @throws BackendUnavailableError when the forced backend lacks its browser feature or fails to
 *   initialise, or when no backend at all loads under `auto`.
 */
export async function initWebBackend(
  choice: WebBackendName = 'auto',
  options: InitWebBackendOptions = {},
): Promise<WebBackendSelection> {
  const backend = parseWebBackendName(choice);
  const scope = options.scope ?? globalThis;
  const plan = planWebBackends(options.capabilities ?? detectWebCapabilities(scope), backend);
  const context: LoadContext = {
    scope,
    importModule: options.importModule ?? defaultImporter,
    wasmPaths: options.wasmPaths,
    emit: options.onEvent ?? (() => {}),
  };

  const selection =
    backend === 'auto'
      ? await initFirstAvailable(plan.skipped, context)
      : await initForced(backend, plan.skipped, context);
  context.emit({ type: 'backend-selected', selection });
  return selection;
}

interface LoadContext {
  scope: WebGlobalScope;
  importModule: ModuleImporter;
  wasmPaths: WasmPaths | undefined;
  emit: (event: WebBackendEvent) => void;
}

async function initForced(
  backend: WebBackendCandidate,
  skipped: WebBackendFallback[],
  context: LoadContext,
): Promise<WebBackendSelection> {
  const missing = skipped[0];
  if (missing !== undefined) {
    throw new BackendUnavailableError(backend, missing.reason, FIX_HINTS[backend]);
  }

  const outcome = await loadCandidate(backend, context);
  if (!outcome.ok) {
    throw new BackendUnavailableError(backend, outcome.reason, FIX_HINTS[backend], { cause: outcome.cause });
  }
  return toSelection(backend, outcome, []);
}

async function initFirstAvailable(
  skipped: WebBackendFallback[],
  context: LoadContext,
): Promise<WebBackendSelection> {
  const fallbacks: WebBackendFallback[] = [];
  for (const backend of WEB_AUTO_ORDER) {
    const missing = skipped.find((entry) => entry.name === backend);
    const outcome: CandidateOutcome =
      missing === undefined ? await loadCandidate(backend, context) : { ok: false, reason: missing.reason };
    if (outcome.ok) return toSelection(backend, outcome, fallbacks);

    fallbacks.push({ name: backend, reason: outcome.reason });
    context.emit({ type: 'backend-skipped', backend, reason: outcome.reason });
  }

  const reasons = fallbacks.map((fallback) => `${fallback.name}: ${fallback.reason}`).join('; ');
  throw new BackendUnavailableError('auto', `no backend loaded (${reasons})`, FIX_HINTS.cpu);
}

type CandidateOutcome =
  | { ok: true; wasm?: { simd: boolean; threads: number } }
  | { ok: false; reason: string; cause?: unknown };

/** Imports one backend's package, checks that it registered its backend, and activates it. */
async function loadCandidate(backend: WebBackendCandidate, context: LoadContext): Promise<CandidateOutcome> {
  const packageName = WEB_BACKEND_PACKAGES[backend];
  context.emit({ type: 'backend-attempt', backend, packageName });

  if (backend === 'webgpu') {
    const adapterProblem = await checkWebGpuAdapter(context.scope);
    if (adapterProblem !== undefined) return { ok: false, reason: adapterProblem };
  }

  let loadedModule: unknown;
  try {
    loadedModule = await context.importModule(packageName);
  } catch (error) {
    return { ok: false, reason: `${packageName} failed to load: ${errorMessage(error)}`, cause: error };
  }
  if (tf.findBackendFactory(backend) === null) {
    return { ok: false, reason: `${packageName} loaded but registered no '${backend}' backend in this environment` };
  }

  if (backend === 'wasm' && context.wasmPaths !== undefined && !(backend in tf.engine().registry)) {
    const pathProblem = applyWasmPaths(loadedModule, context.wasmPaths);
    if (pathProblem !== undefined) return { ok: false, reason: pathProblem };
  }
  const activation = await activateBackend(backend);
  if (!activation.ok) return activation;

  return backend === 'wasm' ? { ok: true, wasm: await describeWasm(loadedModule) } : { ok: true };
}

/**
 * Asks for a WebGPU adapter before the backend does: tfjs-backend-webgpu 4.22 reads the adapter's
 * features without checking for null, which would hide the real reason behind a TypeError.
 */
async function checkWebGpuAdapter(scope: WebGlobalScope): Promise<string | undefined> {
  const gpu = scope.navigator?.gpu as { requestAdapter?: () => Promise<unknown> } | undefined;
  if (typeof gpu?.requestAdapter !== 'function') {
    return 'navigator.gpu.requestAdapter is missing, so this browser does not expose WebGPU';
  }
  try {
    const adapter = await gpu.requestAdapter();
    if (adapter === null || adapter === undefined) {
      return (
        'navigator.gpu.requestAdapter() returned null, so no WebGPU adapter is available ' +
        '(WebGPU may be disabled or the GPU unsupported)'
      );
    }
    return undefined;
  } catch (error) {
    return `navigator.gpu.requestAdapter() failed: ${errorMessage(error)}`;
  }
}

/**
 * Passes `wasmPaths` to the WASM package's `setWasmPaths`, which must run before the backend initialises.
 * Returns why the paths could not be applied, or undefined once they are.
 *
 * @throws Error from `setWasmPaths` when a file map lacks one of the three `.wasm` file names.
 */
function applyWasmPaths(loadedModule: unknown, wasmPaths: WasmPaths): string | undefined {
  const apply = (loadedModule as { setWasmPaths?: unknown } | undefined)?.setWasmPaths;
  if (typeof apply !== 'function') {
    return `${WEB_BACKEND_PACKAGES.wasm} has no setWasmPaths function, so the wasmPaths option cannot be applied`;
  }
  try {
    (apply as typeof setWasmPaths)(wasmPaths);
    return undefined;
  } catch (error) {
    // tfjs-backend-wasm 4.22 raises "already initialized" once an earlier initialisation has failed,
    // and from then on it keeps the paths of that failed attempt.
    if (!errorMessage(error).includes('already initialized')) throw error;
    return (
      'an earlier attempt to initialise the WASM backend failed, and tfjs-backend-wasm accepts new wasmPaths ' +
      'only before the first attempt; reload the page or restart the process'
    );
  }
}

async function describeWasm(loadedModule: unknown): Promise<{ simd: boolean; threads: number }> {
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const getThreadsCount = (loadedModule as { getThreadsCount?: unknown } | undefined)?.getThreadsCount;
  const threads = typeof getThreadsCount === 'function' ? Number(getThreadsCount()) : 1;
  return { simd, threads };
}

function toSelection(
  backend: WebBackendCandidate,
  outcome: Extract<CandidateOutcome, { ok: true }>,
  fallbacks: WebBackendFallback[],
): WebBackendSelection {
  const selection: WebBackendSelection = { name: backend, tfjsBackend: backend, fallbacks };
  if (outcome.wasm !== undefined) selection.wasm = outcome.wasm;
  return selection;
}
