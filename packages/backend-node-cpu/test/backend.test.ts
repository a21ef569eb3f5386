import '@tensorflow/tfjs-backend-cpu';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LSTM_SEQUENCE_GRAD_KERNEL, LSTM_SEQUENCE_KERNEL } from '@lstm-mnist/model';

import { NATIVE_CPU_BACKEND_NAME, NativeCpuBackend, loadNativeAddon, nativeCpuUnavailableReason } from '../src/index.js';

/** Runs `build` on a backend and returns the values of the tensors it returns. */
async function valuesOn(backend: string, build: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const result = tf.tidy(build);
  const tensors = Array.isArray(result) ? result : [result];
  const values = await Promise.all(tensors.map(async (tensor) => (await tensor.data()) as Float32Array));
  tf.dispose(tensors);
  return values;
}

function maxAbsDifference(actual: Float32Array, expected: Float32Array): number {
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs((actual[i] as number) - (expected[i] as number)));
  return max;
}

async function expectSameOnBothBackends(build: () => tf.Tensor | tf.Tensor[], tolerance: number): Promise<void> {
  const expected = await valuesOn('cpu', build);
  const actual = await valuesOn(NATIVE_CPU_BACKEND_NAME, build);
  expect(actual).toHaveLength(expected.length);
  for (const [index, values] of expected.entries()) {
    expect(actual[index]).toHaveLength(values.length);
    expect(maxAbsDifference(actual[index] as Float32Array, values)).toBeLessThanOrEqual(tolerance);
  }
}

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}

describe('native-cpu backend', () => {
  beforeAll(async () => {
    await tf.setBackend(NATIVE_CPU_BACKEND_NAME);
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('loads the compiled addon', () => {
    const status = loadNativeAddon();
    expect(status.loaded).toBe(true);
    expect(nativeCpuUnavailableReason()).toBeUndefined();
  });

  it('registers under its name with the fused LSTM kernels', () => {
    expect(tf.findBackend(NATIVE_CPU_BACKEND_NAME)).toBeInstanceOf(NativeCpuBackend);
    expect(tf.getKernel(LSTM_SEQUENCE_KERNEL, NATIVE_CPU_BACKEND_NAME)).toBeDefined();
    expect(tf.getKernel(LSTM_SEQUENCE_GRAD_KERNEL, NATIVE_CPU_BACKEND_NAME)).toBeDefined();
  });

  it('registers every kernel of the CPU backend', () => {
    const native = new Set(tf.getKernelsForBackend(NATIVE_CPU_BACKEND_NAME).map((kernel) => kernel.kernelName));
    const missing = tf.getKernelsForBackend('cpu').filter((kernel) => !native.has(kernel.kernelName));
    expect(missing.map((kernel) => kernel.kernelName)).toEqual([]);
  });

  it.each([
    [[64, 28], [28, 512], false, false],
    [[28, 64], [28, 512], true, false],
    [[64, 512], [128, 512], false, true],
    [[3, 5, 7], [3, 7, 2], false, false],
    [[3, 7, 5], [1, 2, 7], true, true],
  ] as const)('matMul of %j and %j (transposeA=%s, transposeB=%s) matches the CPU backend', async (aShape, bShape, transposeA, transposeB) => {
    await expectSameOnBothBackends(() => tf.matMul(seeded([...aShape], 1), seeded([...bShape], 2), transposeA, transposeB), 1e-4);
  });

  it('matMul of int32 tensors matches the CPU backend', async () => {
    await expectSameOnBothBackends(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32'), tf.tensor2d([[5], [6]], undefined, 'int32')), 0);
  });

  it('matMul rejects mismatched inner dimensions', async () => {
    await tf.setBackend(NATIVE_CPU_BACKEND_NAME);
    expect(() => tf.matMul(tf.zeros([2, 3]), tf.zeros([4, 2]))).toThrow(/inner/);
  });

  it.each([
    ['equal shapes', [4, 5], [4, 5]],
    ['a scalar', [4, 5], []],
    ['a single-element tensor first', [1], [3, 2]],
    ['broadcasting along an axis', [4, 5], [5]],
  ] as const)('add, sub, mul and div with %s match the CPU backend', async (_case, aShape, bShape) => {
    await expectSameOnBothBackends(() => {
      const a = seeded([...aShape], 3);
      const b = tf.add(seeded([...bShape], 4), 2);
      return [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.div(a, b)];
    }, 1e-6);
  });

  it.each([
    [[3, 4], [1, 0]],
    [[2, 3, 4], [1, 0, 2]],
    [[2, 3, 4], [2, 0, 1]],
    [[2, 3, 4, 5], [3, 1, 0, 2]],
  ] as const)('transpose of %j by %j matches the CPU backend', async (shape, perm) => {
    await expectSameOnBothBackends(() => tf.transpose(seeded([...shape], 5), [...perm]), 0);
  });

  it('releases every tensor of a matmul gradient', async () => {
    await tf.setBackend(NATIVE_CPU_BACKEND_NAME);
    const a = seeded([8, 6], 6);
    const b = seeded([6, 4], 7);
    const before = tf.memory().numTensors;

    const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)))([a, b]);
    tf.dispose(grads);

    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
  });
});
