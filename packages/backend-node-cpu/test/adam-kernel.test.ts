import '@tensorflow/tfjs-backend-cpu';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { Adam, FUSED_ADAM_KERNEL } from '@lstm-mnist/train';

import { NATIVE_CPU_BACKEND_NAME } from '../src/index.js';

const SHAPES = [[3, 5], [7], [2, 3, 4]];

/** Values of every variable after `steps` Adam updates with fixed pseudo-random gradients. */
async function trainVariables(backend: string, steps: number, lr: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const variables = SHAPES.map((shape, index) => tf.variable(tf.randomNormal(shape, 0, 1, 'float32', index + 1)));
  const optimizer = new Adam(variables, { lr });
  for (let step = 0; step < steps; step++) {
    const gradients = SHAPES.map((shape, index) => tf.randomNormal(shape, 0, 10 ** (index - 2), 'float32', 100 * step + index + 1));
    optimizer.step(gradients);
    tf.dispose(gradients);
  }
  const values = await Promise.all(variables.map(async (variable) => (await variable.data()) as Float32Array));
  optimizer.dispose();
  tf.dispose(variables);
  return values;
}

describe('fused Adam kernel', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is registered for native-cpu and not for cpu', async () => {
    await tf.setBackend(NATIVE_CPU_BACKEND_NAME);
    expect(tf.getKernel(FUSED_ADAM_KERNEL, NATIVE_CPU_BACKEND_NAME)).toBeDefined();
    expect(tf.getKernel(FUSED_ADAM_KERNEL, 'cpu')).toBeUndefined();
  });

  it.each([0.001, 0.5])('matches the CPU backend bit for bit (lr %s)', async (lr) => {
    const expected = await trainVariables('cpu', 5, lr);
    const actual = await trainVariables(NATIVE_CPU_BACKEND_NAME, 5, lr);

    for (const [index, values] of expected.entries()) {
      expect(Array.from(actual[index] as Float32Array)).toEqual(Array.from(values));
    }
  });

  it('leaves no tensor behind after a step', async () => {
    await tf.setBackend(NATIVE_CPU_BACKEND_NAME);
    const variable = tf.variable(tf.ones([4]));
    const optimizer = new Adam([variable]);
    const gradient = tf.ones([4]);
    const before = tf.memory().numTensors;

    optimizer.step([gradient]);

    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([variable, gradient]);
    optimizer.dispose();
  });

  it('rejects moments whose shape differs from the variable', async () => {
    await tf.setBackend(NATIVE_CPU_BACKEND_NAME);
    const inputs = { variable: tf.zeros([3]), gradient: tf.zeros([3]), firstMoment: tf.zeros([4]), secondMoment: tf.zeros([3]) };
    const attrs = { beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, stepSize: 0.01, biasCorrection2Sqrt: 0.03, epsilon: 1e-8 };

    expect(() => tf.engine().runKernel(FUSED_ADAM_KERNEL, inputs, attrs)).toThrow("FusedAdam: firstMoment has shape [4], expected the variable's [3]");
    tf.dispose(Object.values(inputs));
  });
});
