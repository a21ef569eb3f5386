import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { BackendUnavailableError as CoreBackendUnavailableError } from '@lstm-mnist/backend-core';

import { BackendUnavailableError, type NodeBackendEvent, initNodeBackend } from '../src/index.js';

/** [[1, 2], [3, 4]] x [[5, 6], [7, 8]], worked by hand. */
const MATMUL_EXPECTED = [19, 22, 43, 50];

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

describe('initNodeBackend on a machine without tfjs-node', () => {
  it('rejects forced node-gpu with the install command', async () => {
    const error = await captureError(initNodeBackend('node-gpu'));

    expect(error).toBeInstanceOf(BackendUnavailableError);
    const unavailable = error as BackendUnavailableError;
    expect(unavailable.backend).toBe('node-gpu');
    expect(unavailable.reason).toBe('package @tensorflow/tfjs-node-gpu is not installed');
    expect(unavailable.installHint).toContain('npm install @tensorflow/tfjs-node-gpu');
    expect(unavailable.installHint).toContain('CUDA 11.2 and cuDNN 8.1');
    expect(unavailable.message).toContain(unavailable.installHint);
  });

  it('throws the error class of backend-core', async () => {
    const error = await captureError(initNodeBackend('node'));

    expect(BackendUnavailableError).toBe(CoreBackendUnavailableError);
    expect(error).toBeInstanceOf(CoreBackendUnavailableError);
  });

  it('rejects forced node with the install command', async () => {
    const error = await captureError(initNodeBackend('node'));

    expect(error).toBeInstanceOf(BackendUnavailableError);
    const unavailable = error as BackendUnavailableError;
    expect(unavailable.backend).toBe('node');
    expect(unavailable.reason).toBe('package @tensorflow/tfjs-node is not installed');
    expect(unavailable.installHint).toContain('npm install @tensorflow/tfjs-node ');
  });

  it('rejects an unknown name listing valid ones', async () => {
    const error = await captureError(initNodeBackend('tpu' as never));

    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toContain('expected one of auto, node-gpu, node, native-cpu, wasm, cpu');
  });

  it('auto picks the built native-cpu addon and reports both fallbacks', async () => {
    const selection = await initNodeBackend('auto');

    expect(selection.name).toBe('native-cpu');
    expect(selection.tfjsBackend).toBe('native-cpu');
    expect(tf.getBackend()).toBe('native-cpu');
    expect(selection.fallbacks).toEqual([
      { name: 'node-gpu', reason: 'package @tensorflow/tfjs-node-gpu is not installed' },
      { name: 'node', reason: 'package @tensorflow/tfjs-node is not installed' },
    ]);
  });

  it('auto reports each candidate as an event', async () => {
    const events: NodeBackendEvent[] = [];
    await initNodeBackend(undefined, { onEvent: (event) => events.push(event) });

    expect(events.map((event) => `${event.type} ${'backend' in event ? event.backend : event.selection.name}`)).toEqual([
      'backend-attempt node-gpu',
      'backend-skipped node-gpu',
      'backend-attempt node',
      'backend-skipped node',
      'backend-attempt native-cpu',
      'backend-selected native-cpu',
    ]);
    const skipped = events.find((event) => event.type === 'backend-skipped');
    expect(skipped).toMatchObject({ installHint: expect.stringContaining('npm install @tensorflow/tfjs-node-gpu') });
  });

  it('forced wasm multiplies matrices', async () => {
    const selection = await initNodeBackend('wasm');

    expect(selection).toMatchObject({ name: 'wasm', tfjsBackend: 'wasm', fallbacks: [], gpu: false });
    expect(tf.getBackend()).toBe('wasm');
    expect(await multiplySmallMatrices()).toEqual(MATMUL_EXPECTED);
  });

  it('forced wasm runs SIMD on one thread in Node', async () => {
    const selection = await initNodeBackend('wasm');

    expect(selection.wasm).toEqual({ simd: true, threads: 1 });
  });

  it('forced cpu multiplies matrices', async () => {
    const selection = await initNodeBackend('cpu');

    expect(selection).toMatchObject({ name: 'cpu', tfjsBackend: 'cpu', fallbacks: [], gpu: false });
    expect(tf.getBackend()).toBe('cpu');
    expect(await multiplySmallMatrices()).toEqual(MATMUL_EXPECTED);
  });

  it('switches from cpu back to wasm', async () => {
    await initNodeBackend('cpu');
    await initNodeBackend('wasm');

    expect(tf.getBackend()).toBe('wasm');
    expect(await multiplySmallMatrices()).toEqual(MATMUL_EXPECTED);
  });

  it('forced backend emits no skipped events', async () => {
    const events: NodeBackendEvent[] = [];
    await initNodeBackend('cpu', { onEvent: (event) => events.push(event) });

    expect(events.map((event) => event.type)).toEqual(['backend-attempt', 'backend-selected']);
  });
});
