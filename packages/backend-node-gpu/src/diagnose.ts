import { errorMessage } from '@lstm-mnist/backend-core';

import { NODE_BACKEND_PACKAGES, type NodeBackendCandidate } from './names.js';

/** A failure and its fix, as stored in `BackendUnavailableError` and in fallback events. */
export interface BackendFailure {
  reason: string;
  installHint: string;
}

/** CUDA and cuDNN libraries that a TensorFlow GPU build loads, without the `lib` prefix and version suffix. */
const CUDA_LIBRARIES = 'cudart|cudnn|cublasLt|cublas|cufft|curand|cusolver|cusparse';

/** A CUDA library as named in Linux loader errors (`libcudart.so.11.0`) and as a Windows DLL (`cudnn64_8.dll`). */
const CUDA_LIBRARY_PATTERN = new RegExp(
  `\\b(?:lib(?:${CUDA_LIBRARIES})\\w*\\.so[\\w.]*|(?:${CUDA_LIBRARIES})\\w*64_\\w+\\.dll)\\b`,
);

/** The NVIDIA driver's user-space library, which the driver installs rather than the CUDA toolkit. */
const CUDA_DRIVER_PATTERN = /\b(?:libcuda\.so[\w.]*|nvcuda\.dll)\b/;

const LIBTENSORFLOW_PATTERN = /\b(?:lib)?tensorflow(?:_framework)?\.(?:so[\w.]*|dll|dylib)\b/;

const BINDING_PATTERN = /tfjs_binding\.node/;

/** Host of the libtensorflow and addon downloads made by the tfjs-node 4.x install script. */
const DOWNLOAD_HOST = 'storage.googleapis.com';

const CUDA_REQUIREMENT = 'CUDA 11.2 and cuDNN 8.1';

/** Returns the command (and its requirements) that installs a backend's package. */
export function installHintFor(backend: NodeBackendCandidate): string {
  const packageName = NODE_BACKEND_PACKAGES[backend];
  switch (backend) {
    case 'node-gpu':
      return (
        `npm install ${packageName} (needs an NVIDIA GPU with ${CUDA_REQUIREMENT} on Linux or Windows x86-64, ` +
        `and network access to ${DOWNLOAD_HOST} while installing)`
      );
    case 'node':
      return `npm install ${packageName} (needs network access to ${DOWNLOAD_HOST} while installing)`;
    case 'native-cpu':
      return 'npm run build:native (needs a C++17 compiler, make and Python 3)';
    case 'wasm':
    case 'cpu':
      return `npm install ${packageName}`;
  }
}

/** The backend to suggest when one cannot load. `cpu` is the last resort, so it has none. */
const ALTERNATIVES: Readonly<Record<NodeBackendCandidate, string | undefined>> = {
  'node-gpu': 'or use --backend node or --backend wasm',
  node: 'or use --backend wasm',
  'native-cpu': 'or use --backend wasm',
  wasm: 'or use --backend cpu',
  cpu: undefined,
};

/**
 * Explains why importing a backend's package failed: the package or one of its dependencies is
 * missing, a CUDA or libtensorflow library is not found, the native addon is missing, or another error.
 */
export function diagnoseImportFailure(backend: NodeBackendCandidate, error: unknown): BackendFailure {
  const packageName = NODE_BACKEND_PACKAGES[backend];

  const missingModule = missingModuleName(error);
  if (missingModule === packageName) {
    return { reason: `package ${packageName} is not installed`, installHint: installHintFor(backend) };
  }
  if (missingModule !== undefined && !BINDING_PATTERN.test(missingModule)) {
    return {
      reason: `${packageName} is installed but its dependency ${missingModule} is not`,
      installHint: `run npm install again so that npm installs the dependencies of ${packageName}`,
    };
  }
  return diagnoseLoadError(backend, errorMessage(error));
}

/** Explains a failure to load a package that is installed, from the loader's error message. */
function diagnoseLoadError(backend: NodeBackendCandidate, message: string): BackendFailure {
  const packageName = NODE_BACKEND_PACKAGES[backend];
  const detail = firstLine(message);

  const driverLibrary = CUDA_DRIVER_PATTERN.exec(message)?.[0];
  if (driverLibrary !== undefined) {
    return {
      reason: `NVIDIA driver library not found: ${driverLibrary}`,
      installHint: withAlternative(backend, 'install the NVIDIA GPU driver and check that nvidia-smi lists the GPU'),
    };
  }
  const cudaLibrary = CUDA_LIBRARY_PATTERN.exec(message)?.[0];
  if (cudaLibrary !== undefined) {
    const fix =
      `install the CUDA toolkit and cuDNN (${packageName} 4.x is built for ${CUDA_REQUIREMENT}) and add their ` +
      'library folders to LD_LIBRARY_PATH (PATH on Windows)';
    return { reason: `CUDA library not found: ${cudaLibrary}`, installHint: withAlternative(backend, fix) };
  }
  if (LIBTENSORFLOW_PATTERN.test(message)) {
    return {
      reason: `the libtensorflow library of ${packageName} failed to load: ${detail}`,
      installHint: withAlternative(
        backend,
        `reinstall it with network access to ${DOWNLOAD_HOST}: npm rebuild ${packageName}`,
      ),
    };
  }
  if (BINDING_PATTERN.test(message)) {
    return {
      reason: `the native addon (tfjs_binding.node) of ${packageName} is missing or failed to load: ${detail}`,
      installHint: withAlternative(backend, `npm rebuild ${packageName} --build-addon-from-source`),
    };
  }
  return {
    reason: `${packageName} failed to load: ${detail}`,
    installHint: withAlternative(backend, `reinstall it with ${installHintFor(backend)}`),
  };
}

function withAlternative(backend: NodeBackendCandidate, fix: string): string {
  const alternative = ALTERNATIVES[backend];
  return alternative === undefined ? fix : `${fix}, ${alternative}`;
}

/**
 * Returns the module that could not be resolved, or undefined for other errors. Node reports
 * "Cannot find package 'x' imported from …" or "Cannot find module 'x'" with a `code`. Vite's
 * resolver, which loads modules under Vitest and Vite SSR, reports
 * 'Could not resolve "x" imported by "…". Is it installed?' without a code.
 */
function missingModuleName(error: unknown): string | undefined {
  const message = errorMessage(error);
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    return /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
  }
  return /^Could not resolve "([^"]+)" imported by /.exec(message)?.[1];
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]?.trim() ?? '';
}
