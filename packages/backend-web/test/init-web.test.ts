import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { BackendUnavailableError as CoreBackendUnavailableError } from '@lstm-mnist/backend-core';

import { BackendUnavailableError, type WebBackendEvent, type WebCapabilities, initWebBackend } from '../src/index.js';

/** [[1, 2], [3, 4]] x [[5, 6], [7, 8]], worked by hand. */
const MATMUL_EXPECTED = [19, 22, 43, 50];

const GPU_PAGE: WebCapabilities = { webgpu: true, webgl: true, crossOriginIsolated: false };

/** Multiplies two 2x2 matrices on the active backend and checks that no tensor is left behind. */
async function multiplySmallMatrices(): Promise<number[]> {
  const tensorsAtStart = tf.memory().numTensors;
  const a = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  const b = tf.tensor2d([
    [5, 6],
    [7, 8],
  ]);
  const product = tf.matMul(a, b);
  const values = Array.from(await product.data());
  tf.dispose([a, b, product]);
  expect(tf.memory().numTensors).toBe(tensorsAtStart);
  return values;
}

async function captureError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** A scope whose `navigator.gpu.requestAdapter()` resolves to null, as on a machine without a usable GPU. */
const NO_ADAPTER_SCOPE = { navigator: { gpu: { requestAdapter: async () => null } } };

describe('initWebBackend in Node', () => {
  it('forced cpu multiplies matrices', async () => {
    const selection = await initWebBackend('cpu');

    expect(selection).toEqual({ name: 'cpu', tfjsBackend: 'cpu', fallbacks: [] });
    expect(tf.getBackend()).toBe('cpu');
    expect(await multiplySmallMatrices()).toEqual(MATMUL_EXPECTED);
  });

  it('forced wasm multiplies matrices', async () => {
    const selection = await initWebBackend('wasm');

    expect(selection).toMatchObject({ name: 'wasm', tfjsBackend: 'wasm', fallbacks: [] });
    expect(tf.getBackend()).toBe('wasm');
    expect(await multiplySmallMatrices()).toEqual(MATMUL_EXPECTED);
  });

  it('reports wasm on one thread in Node', async () => {
    const selection = await initWebBackend('wasm');

    expect(selection.wasm).toEqual({ simd: true, threads: 1 });
  });

  it('auto picks wasm and names the missing APIs', async () => {
    const selection = await initWebBackend('auto');

    expect(selection.name).toBe('wasm');
    expect(selection.fallbacks).toEqual([
      { name: 'webgpu', reason: 'navigator.gpu is missing, so this browser does not expose WebGPU' },
      { name: 'webgl', reason: 'neither WebGL2RenderingContext nor WebGLRenderingContext exists' },
    ]);
  });

  it('auto reports skips and the attempt as events', async () => {
    const events: WebBackendEvent[] = [];
    await initWebBackend(undefined, { onEvent: (event) => events.push(event) });

    expect(events.map((event) => `${event.type} ${'backend' in event ? event.backend : event.selection.name}`)).toEqual([
      'backend-skipped webgpu',
      'backend-skipped webgl',
      'backend-attempt wasm',
      'backend-selected wasm',
    ]);
  });

  it('rejects forced webgpu without navigator.gpu', async () => {
    const error = await captureError(initWebBackend('webgpu'));

    expect(error).toBeInstanceOf(BackendUnavailableError);
    const unavailable = error as BackendUnavailableError;
    expect(unavailable.backend).toBe('webgpu');
    expect(unavailable.reason).toBe('navigator.gpu is missing, so this browser does not expose WebGPU');
    expect(unavailable.installHint).toBe('use a browser with WebGPU enabled, or choose webgl, wasm or cpu');
  });

  it('throws the error class of backend-core', async () => {
    const error = await captureError(initWebBackend('webgl'));

    expect(BackendUnavailableError).toBe(CoreBackendUnavailableError);
    expect(error).toBeInstanceOf(CoreBackendUnavailableError);
  });

  it('rejects forced webgl without a WebGL API', async () => {
    const error = await captureError(initWebBackend('webgl'));

    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).reason).toBe(
      'neither WebGL2RenderingContext nor WebGLRenderingContext exists',
    );
    expect((error as Error).message).toContain('or choose wasm or cpu');
  });

  it('rejects forced webgl when the package does not register', async () => {
    const error = await captureError(initWebBackend('webgl', { capabilities: GPU_PAGE }));

    expect((error as BackendUnavailableError).reason).toBe(
      "@tensorflow/tfjs-backend-webgl loaded but registered no 'webgl' backend in this environment",
    );
  });

  it('rejects forced webgpu without an adapter', async () => {
    const error = await captureError(initWebBackend('webgpu', { capabilities: GPU_PAGE, scope: NO_ADAPTER_SCOPE }));

    expect((error as BackendUnavailableError).reason).toContain('navigator.gpu.requestAdapter() returned null');
  });

  it('rejects webgpu when the package does not register', async () => {
    const scope = { navigator: { gpu: { requestAdapter: async () => ({ features: new Set<string>() }) } } };

    const error = await captureError(initWebBackend('webgpu', { capabilities: GPU_PAGE, scope }));

    expect((error as BackendUnavailableError).reason).toBe(
      "@tensorflow/tfjs-backend-webgpu loaded but registered no 'webgpu' backend in this environment",
    );
  });

  it('auto passes over webgpu and webgl that fail', async () => {
    const selection = await initWebBackend('auto', { capabilities: GPU_PAGE, scope: NO_ADAPTER_SCOPE });

    expect(selection.name).toBe('wasm');
    expect(selection.fallbacks.map((fallback) => fallback.name)).toEqual(['webgpu', 'webgl']);
    expect(selection.fallbacks[1]?.reason).toContain("registered no 'webgl' backend");
  });

  it('auto falls to cpu when wasm fails to import', async () => {
    const importModule = async (specifier: string): Promise<unknown> => {
      if (specifier === '@tensorflow/tfjs-backend-wasm') throw new Error('Failed to fetch dynamically imported module');
      return import(specifier);
    };

    const selection = await initWebBackend('auto', { importModule });

    expect(selection.name).toBe('cpu');
    expect(selection.fallbacks[2]).toEqual({
      name: 'wasm',
      reason: '@tensorflow/tfjs-backend-wasm failed to load: Failed to fetch dynamically imported module',
    });
  });

  it('rejects auto when nothing loads', async () => {
    const importModule = async (specifier: string): Promise<unknown> => {
      throw new Error(`simulated failure of ${specifier}`);
    };

    const error = await captureError(initWebBackend('auto', { importModule }));

    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).backend).toBe('auto');
    expect((error as BackendUnavailableError).reason).toContain('cpu: @tensorflow/tfjs-backend-cpu failed to load');
  });

  it('rejects an unknown name listing valid ones', async () => {
    const error = await captureError(initWebBackend('webnn' as never));

    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toContain('expected one of auto, webgpu, webgl, wasm, cpu');
  });
});
