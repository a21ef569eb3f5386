import type { WebCapabilities } from './capabilities.js';
import { WEB_AUTO_ORDER, type WebBackendCandidate, type WebBackendName, parseWebBackendName } from './names.js';

/** A backend left out of a plan or passed over while loading, with the reason. */
export interface WebBackendFallback {
  name: WebBackendCandidate;
  reason: string;
}

/** The backends to try, derived from the capabilities alone. */
export interface WebBackendPlan {
  /** Backends to try, in order. Empty when a forced backend lacks its browser feature. */
  candidates: WebBackendCandidate[];
  /** Backends left out because a browser feature is missing, in `auto` order. */
  skipped: WebBackendFallback[];
  /** Whether the WASM backend is expected to use threads: the page is cross-origin isolated and has SharedArrayBuffer. */
  wasmThreads: boolean;
}

/**
 * Plans which backends to try for `choice` (default `auto`). Under `auto` the plan keeps each backend
 * whose browser feature exists, in the order webgpu, webgl, wasm, cpu. A forced name keeps only itself.
 *
 * @throws RangeError when `choice` is not one of `WEB_BACKENDS`.
 */
export function planWebBackends(capabilities: WebCapabilities, choice: WebBackendName = 'auto'): WebBackendPlan {
  const backend = parseWebBackendName(choice);
  const requested = backend === 'auto' ? WEB_AUTO_ORDER : [backend];

  const candidates: WebBackendCandidate[] = [];
  const skipped: WebBackendFallback[] = [];
  for (const name of requested) {
    const missing = missingFeature(name, capabilities);
    if (missing === undefined) candidates.push(name);
    else skipped.push({ name, reason: missing });
  }

  // NOTE: tfjs-backend-wasm 4.22 also needs WASM SIMD for its threaded build. SIMD is not checked here,
  // so the selection's `wasm.threads` after loading is the authoritative count.
  const sharedArrayBuffer = capabilities.sharedArrayBuffer ?? capabilities.crossOriginIsolated;
  const wasmThreads = (capabilities.webAssembly ?? true) && capabilities.crossOriginIsolated && sharedArrayBuffer;
  return { candidates, skipped, wasmThreads };
}

/** Returns why a backend cannot load with these capabilities, or undefined when nothing is missing. */
function missingFeature(name: WebBackendCandidate, capabilities: WebCapabilities): string | undefined {
  switch (name) {
    case 'webgpu':
      return capabilities.webgpu ? undefined : 'navigator.gpu is missing, so this browser does not expose WebGPU';
    case 'webgl':
      return capabilities.webgl ? undefined : 'neither WebGL2RenderingContext nor WebGLRenderingContext exists';
    case 'wasm':
      return (capabilities.webAssembly ?? true) ? undefined : 'WebAssembly is missing';
    case 'cpu':
      return undefined;
  }
}
