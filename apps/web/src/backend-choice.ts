import {
  type WebBackendName,
  type WebBackendSelection,
  type WebCapabilities,
  WEB_BACKENDS,
  planWebBackends,
} from '@lstm-mnist/backend-web';

/** Options of the backend selector, `auto` first. */
export const BACKEND_OPTIONS: readonly WebBackendName[] = WEB_BACKENDS;

/** The backend choice before anything loads: the order `auto` will try, and whether WASM gets threads. */
export interface BackendPreview {
  /** Backends to try, in order; a forced choice lists only itself, or nothing when its feature is missing. */
  order: string[];
  /** Reasons for each backend left out, e.g. `webgpu: navigator.gpu is missing, ...`. */
  skipped: string[];
  /** Whether the WASM backend can use threads: the page is cross-origin isolated and has SharedArrayBuffer. */
  wasmThreads: boolean;
}

/**
 * Reads the backend selector's value. Anything that is not a backend name falls back to `auto`,
 * so a stale saved value cannot break the page.
 */
export function parseBackendChoice(value: string | null | undefined): WebBackendName {
  return (WEB_BACKENDS as readonly string[]).includes(value ?? '') ? (value as WebBackendName) : 'auto';
}

/** Plans the choice for these capabilities without loading anything. */
export function previewBackendChoice(capabilities: WebCapabilities, choice: WebBackendName): BackendPreview {
  const plan = planWebBackends(capabilities, choice);
  return {
    order: plan.candidates,
    skipped: plan.skipped.map((entry) => `${entry.name}: ${entry.reason}`),
    wasmThreads: plan.wasmThreads,
  };
}

/** Formats the selection as one line for the status area, e.g. `wasm (SIMD, 8 threads)`. */
export function describeSelection(selection: WebBackendSelection): string {
  if (selection.wasm === undefined) return selection.name;

  const simd = selection.wasm.simd ? 'SIMD' : 'no SIMD';
  const threads = selection.wasm.threads === 1 ? '1 thread' : `${selection.wasm.threads} threads`;
  return `${selection.name} (${simd}, ${threads})`;
}
