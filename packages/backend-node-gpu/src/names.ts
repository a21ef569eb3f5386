/** Backend names accepted by `initNodeBackend` and the CLI's `--backend`. `auto` tries the others in order. */
export const NODE_BACKENDS = ['auto', 'node-gpu', 'node', 'native-cpu', 'wasm', 'cpu'] as const;

/** A value of `NODE_BACKENDS`. */
export type NodeBackendName = (typeof NODE_BACKENDS)[number];

/** A concrete backend: every name but `auto`. */
export type NodeBackendCandidate = Exclude<NodeBackendName, 'auto'>;

/**
 * Order in which `auto` tries the backends: native TensorFlow first, then this workspace's own
 * native addon, WebAssembly, and plain JavaScript last as it always loads.
 */
export const AUTO_ORDER: readonly NodeBackendCandidate[] = ['node-gpu', 'node', 'native-cpu', 'wasm', 'cpu'];

/** npm package that provides each backend. */
export const NODE_BACKEND_PACKAGES: Readonly<Record<NodeBackendCandidate, string>> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
  'native-cpu': '@lstm-mnist/backend-node-cpu',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** Name under which each package registers its backend with tfjs-core (`tf.getBackend()` returns it). */
export const TFJS_BACKEND_NAMES: Readonly<Record<NodeBackendCandidate, string>> = {
  'node-gpu': 'tensorflow',
  node: 'tensorflow',
  'native-cpu': 'native-cpu',
  wasm: 'wasm',
  cpu: 'cpu',
};

const DESCRIPTIONS: Readonly<Record<NodeBackendName, string>> = {
  auto: 'tries node-gpu, node, native-cpu, wasm and cpu in that order and uses the first that loads',
  'node-gpu':
    'TensorFlow C library with CUDA (@tensorflow/tfjs-node-gpu, optional); ' +
    'needs an NVIDIA GPU with CUDA 11.2 and cuDNN 8.1 on Linux or Windows x86-64',
  node: 'TensorFlow C library on the CPU (@tensorflow/tfjs-node, optional)',
  'native-cpu':
    "this workspace's C++ addon with its own SGEMM and fused LSTM kernels, on all CPU cores " +
    '(@lstm-mnist/backend-node-cpu); built by npm install, needs a C++17 compiler',
  wasm: 'WebAssembly with SIMD (@tensorflow/tfjs-backend-wasm); single-threaded in Node',
  cpu: 'plain JavaScript (@tensorflow/tfjs-backend-cpu); the slowest, and always available',
};

/** Returns one line of text describing a backend, for help text and logs. */
export function describeNodeBackend(name: NodeBackendName): string {
  return `${name}: ${DESCRIPTIONS[name]}`;
}

/**
 * Parses a backend name such as a `--backend` value. Surrounding spaces and letter case are ignored.
 *
 * @throws RangeError naming the value and listing the valid names.
 */
export function parseNodeBackendName(text: string): NodeBackendName {
  const normalized = text.trim().toLowerCase();
  const match = NODE_BACKENDS.find((name) => name === normalized);
  if (match === undefined) {
    throw new RangeError(`Unknown backend '${text}': expected one of ${NODE_BACKENDS.join(', ')}.`);
  }
  return match;
}
