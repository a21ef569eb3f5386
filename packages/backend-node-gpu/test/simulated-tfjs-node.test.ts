/**
 * tfjs-node and tfjs-node-gpu are not installed in this workspace because their install downloads
 * libtensorflow, so these tests inject an importer that replaces them. The replacement for a loadable
 * package registers a 'tensorflow' backend built on the CPU backend, with the two flags that
 * tfjs-node 4.22 sets on its own backend. WASM and CPU still load through the real `import()`.
 */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';

import { BackendUnavailableError, type NodeBackendEvent, initNodeBackend } from '../src/index.js';

const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
const CPU_PACKAGE = '@tensorflow/tfjs-node';

class StandInTensorflowBackend extends MathBackendCPU {
  constructor(
    readonly isGPUPackage: boolean,
    readonly isUsingGpuDevice: boolean,
  ) {
    super();
  }
}

/** Returns an importer that replaces the listed packages and imports everything else. */
function importerWith(standIns: Record<string, () => unknown>): (specifier: string) => Promise<unknown> {
  return async (specifier) => {
    const standIn = standIns[specifier];
    return standIn === undefined ? import(specifier) : standIn();
  };
}

function registerTensorflow(isGPUPackage: boolean, isUsingGpuDevice: boolean): () => unknown {
  return () => {
    tf.registerBackend('tensorflow', () => new StandInTensorflowBackend(isGPUPackage, isUsingGpuDevice), 3);
    return {};
  };
}

function failWith(message: string): () => never {
  return () => {
    throw new Error(message);
  };
}

async function captureError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

const CUDA_ERROR = 'libcudart.so.11.0: cannot open shared object file: No such file or directory';

const NATIVE_CPU_PACKAGE = '@lstm-mnist/backend-node-cpu';
const UNBUILT_REASON = 'the native addon is not built: build/Release/lstm_native.node does not exist';

afterEach(async () => {
  if (tf.findBackendFactory('tensorflow') !== null) tf.removeBackend('tensorflow');
  // Tests that simulate an unbuilt addon remove the real native-cpu backend, so register it again.
  // The import names the package through a variable, as init.ts does, so the project graph gets no
  // static edge from this package to backend-node-cpu, which depends on model.
  const nativeCpu = (await import(NATIVE_CPU_PACKAGE)) as { registerNativeCpuBackend: () => unknown };
  nativeCpu.registerNativeCpuBackend();
  await tf.setBackend('cpu');
});

describe('initNodeBackend with a simulated tfjs-node-gpu', () => {
  it('rejects forced node-gpu when CUDA is missing', async () => {
    const importModule = importerWith({ [GPU_PACKAGE]: failWith(CUDA_ERROR) });

    const error = await captureError(initNodeBackend('node-gpu', { importModule }));

    expect(error).toBeInstanceOf(BackendUnavailableError);
    const unavailable = error as BackendUnavailableError;
    expect(unavailable.reason).toBe('CUDA library not found: libcudart.so.11.0');
    expect(unavailable.message).toContain('CUDA library not found: libcudart.so.11.0');
    expect(unavailable.message).toContain('install the CUDA toolkit');
    expect(unavailable.message).toContain('or use --backend node or --backend wasm');
    expect((unavailable.cause as Error).message).toBe(CUDA_ERROR);
  });

  it('auto falls back past a CUDA failure', async () => {
    const importModule = importerWith({ [GPU_PACKAGE]: failWith(CUDA_ERROR) });

    const selection = await initNodeBackend('auto', { importModule });

    expect(selection.name).toBe('native-cpu');
    expect(selection.fallbacks[0]).toEqual({ name: 'node-gpu', reason: 'CUDA library not found: libcudart.so.11.0' });
  });

  it('auto falls back to wasm when the native addon is not built', async () => {
    if (tf.findBackendFactory('native-cpu') !== null) tf.removeBackend('native-cpu');
    const importModule = importerWith({ [NATIVE_CPU_PACKAGE]: () => ({ nativeCpuUnavailableReason: () => UNBUILT_REASON }) });

    const selection = await initNodeBackend('auto', { importModule });

    expect(selection.name).toBe('wasm');
    expect(selection.fallbacks).toContainEqual({ name: 'native-cpu', reason: UNBUILT_REASON });
  });

  it('rejects forced native-cpu naming the build command when the addon is not built', async () => {
    if (tf.findBackendFactory('native-cpu') !== null) tf.removeBackend('native-cpu');
    const importModule = importerWith({ [NATIVE_CPU_PACKAGE]: () => ({ nativeCpuUnavailableReason: () => UNBUILT_REASON }) });

    const error = await captureError(initNodeBackend('native-cpu', { importModule }));

    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).reason).toBe(UNBUILT_REASON);
    expect((error as BackendUnavailableError).installHint).toContain('npm run build:native');
  });

  it('forced node-gpu activates tensorflow on a GPU', async () => {
    const importModule = importerWith({ [GPU_PACKAGE]: registerTensorflow(true, true) });

    const selection = await initNodeBackend('node-gpu', { importModule });

    expect(selection).toEqual({ name: 'node-gpu', tfjsBackend: 'tensorflow', fallbacks: [], gpu: true });
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it('rejects forced node-gpu without a GPU device', async () => {
    const importModule = importerWith({ [GPU_PACKAGE]: registerTensorflow(true, false) });

    const error = await captureError(initNodeBackend('node-gpu', { importModule }));

    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).reason).toContain('TensorFlow found no GPU device');
    expect((error as BackendUnavailableError).installHint).toContain('nvidia-smi');
  });

  it('auto keeps node-gpu without a GPU and warns', async () => {
    const events: NodeBackendEvent[] = [];
    const importModule = importerWith({ [GPU_PACKAGE]: registerTensorflow(true, false) });

    const selection = await initNodeBackend('auto', { importModule, onEvent: (event) => events.push(event) });

    expect(selection).toMatchObject({ name: 'node-gpu', gpu: false, fallbacks: [] });
    const warning = events.find((event) => event.type === 'backend-warning');
    expect(warning).toMatchObject({ backend: 'node-gpu', message: expect.stringContaining('no GPU device') });
  });

  it('rejects a package that registers no backend', async () => {
    const importModule = importerWith({ [GPU_PACKAGE]: () => ({}) });

    const error = await captureError(initNodeBackend('node-gpu', { importModule }));

    expect((error as BackendUnavailableError).reason).toBe(
      `${GPU_PACKAGE} loaded but no 'tensorflow' backend is registered with @tensorflow/tfjs-core ${tf.version_core}`,
    );
  });

  it('rejects node when the GPU package owns tensorflow', async () => {
    registerTensorflow(true, true)();
    const importModule = importerWith({ [CPU_PACKAGE]: () => ({}) });

    const error = await captureError(initNodeBackend('node', { importModule }));

    expect((error as BackendUnavailableError).reason).toBe(
      `the 'tensorflow' backend in this process comes from ${GPU_PACKAGE}, which was loaded first`,
    );
  });
});

describe('initNodeBackend with a simulated tfjs-node', () => {
  it('auto picks node after a missing GPU package', async () => {
    const importModule = importerWith({ [CPU_PACKAGE]: registerTensorflow(false, false) });

    const selection = await initNodeBackend('auto', { importModule });

    expect(selection).toEqual({
      name: 'node',
      tfjsBackend: 'tensorflow',
      fallbacks: [{ name: 'node-gpu', reason: `package ${GPU_PACKAGE} is not installed` }],
      gpu: false,
    });
  });

  it('reports a backend whose factory throws', async () => {
    const importModule = importerWith({
      [CPU_PACKAGE]: () => {
        tf.registerBackend('tensorflow', failWith('Exception creating TFE_Context'), 3);
        return {};
      },
    });

    const error = await captureError(initNodeBackend('node', { importModule }));

    expect((error as BackendUnavailableError).reason).toBe(
      "initialising the 'tensorflow' backend failed: Exception creating TFE_Context",
    );
  });
});

describe('initNodeBackend when nothing loads', () => {
  it('rejects auto listing every reason', async () => {
    const importModule = async (specifier: string): Promise<unknown> => {
      throw new Error(`simulated failure of ${specifier}`);
    };

    const error = await captureError(initNodeBackend('auto', { importModule }));

    expect(error).toBeInstanceOf(BackendUnavailableError);
    const unavailable = error as BackendUnavailableError;
    expect(unavailable.backend).toBe('auto');
    for (const name of ['node-gpu', 'node', 'native-cpu', 'wasm', 'cpu']) {
      expect(unavailable.reason).toContain(`${name}: `);
    }
    expect(unavailable.reason).toContain('simulated failure of @tensorflow/tfjs-backend-cpu');
  });
});
