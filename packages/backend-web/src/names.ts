/** Backend names accepted by `initWebBackend`. `auto` tries the others in order. */
export const WEB_BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;

/** A value of `WEB_BACKENDS`. */
export type WebBackendName = (typeof WEB_BACKENDS)[number];

/** A concrete backend: every name but `auto`. Each is also the name tfjs-core registers it under. */
export type WebBackendCandidate = Exclude<WebBackendName, 'auto'>;

/** Order in which `auto` tries the backends: GPU first, the plain CPU backend last because it always loads. */
export const WEB_AUTO_ORDER: readonly WebBackendCandidate[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** npm package that provides each backend. */
export const WEB_BACKEND_PACKAGES: Readonly<Record<WebBackendCandidate, string>> = {
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  webgl: '@tensorflow/tfjs-backend-webgl',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

const DESCRIPTIONS: Readonly<Record<WebBackendName, string>> = {
  auto: 'tries webgpu, webgl, wasm and cpu in that order and uses the first that loads',
  webgpu: 'WebGPU compute shaders (@tensorflow/tfjs-backend-webgpu); needs navigator.gpu and a GPU adapter',
  webgl: 'WebGL shaders (@tensorflow/tfjs-backend-webgl); needs a WebGL context',
  wasm: 'WebAssembly (@tensorflow/tfjs-backend-wasm); multi-threaded only on a cross-origin isolated page',
  cpu: 'plain JavaScript (@tensorflow/tfjs-backend-cpu); the slowest, and always available',
};

/** Returns one line of text describing a backend, for a settings menu or a log. */
export function describeWebBackend(name: WebBackendName): string {
  return `${name}: ${DESCRIPTIONS[name]}`;
}

/**
 * Parses a backend name such as a URL parameter. Surrounding spaces and letter case are ignored.
 *
 * @throws RangeError naming the value and listing the valid names.
 */
export function parseWebBackendName(text: string): WebBackendName {
  const normalized = text.trim().toLowerCase();
  const match = WEB_BACKENDS.find((name) => name === normalized);
  if (match === undefined) {
    throw new RangeError(`Unknown backend '${text}': expected one of ${WEB_BACKENDS.join(', ')}.`);
  }
  return match;
}
