/**
 * Browser features that decide which backends can load. Each flag reports that an API exists, not that
 * it works: a browser can still deny a WebGPU adapter or a WebGL context, and `initWebBackend` then falls
 * back (under `auto`) or throws (for a forced backend).
 */
export interface WebCapabilities {
  /** `navigator.gpu` exists. */
  webgpu: boolean;
  /** `WebGL2RenderingContext` or `WebGLRenderingContext` exists. */
  webgl: boolean;
  /** The page is cross-origin isolated (served with COOP and COEP headers), which WASM threads need. */
  crossOriginIsolated: boolean;
  /** `WebAssembly` exists. Treated as true when omitted. */
  webAssembly?: boolean;
  /** `SharedArrayBuffer` exists. Treated as equal to `crossOriginIsolated` when omitted. */
  sharedArrayBuffer?: boolean;
}

/** The globals that `detectWebCapabilities` reads: `globalThis` in a page or worker, or a stand-in in tests. */
export interface WebGlobalScope {
  navigator?: { gpu?: unknown };
  WebGL2RenderingContext?: unknown;
  WebGLRenderingContext?: unknown;
  crossOriginIsolated?: boolean;
  WebAssembly?: unknown;
  SharedArrayBuffer?: unknown;
}

/** Reads the capabilities from a global scope, by default `globalThis`. Has no side effects. */
export function detectWebCapabilities(scope: WebGlobalScope = globalThis): WebCapabilities {
  return {
    webgpu: scope.navigator?.gpu !== undefined && scope.navigator.gpu !== null,
    webgl: scope.WebGL2RenderingContext !== undefined || scope.WebGLRenderingContext !== undefined,
    crossOriginIsolated: scope.crossOriginIsolated === true,
    webAssembly: scope.WebAssembly !== undefined,
    sharedArrayBuffer: scope.SharedArrayBuffer !== undefined,
  };
}
