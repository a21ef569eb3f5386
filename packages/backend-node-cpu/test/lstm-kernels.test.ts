import '@tensorflow/tfjs-backend-cpu';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { LSTMModel } from '@lstm-mnist/model';

import type { NativeCpuBackend } from '../src/index.js';
import { NATIVE_CPU_BACKEND_NAME } from '../src/index.js';

const CONFIG = { inputSize: 5, hiddenSize: 6, numLayers: 2, numClasses: 3 };
/**
 * Large enough for the addon to split each step's recurrence across threads by hidden units
 * (batch * 4H^2 >= 2^18, H a multiple of twice the widest panel, 32), still quick on the CPU backend.
 */
const THREADED_CONFIG = { inputSize: 7, hiddenSize: 64, numLayers: 2, numClasses: 4 };
const THREADED_BATCH = 16;

interface Outputs {
  logits: Float32Array;
  gradients: Float32Array[];
}

/** Logits and every parameter gradient of a small seeded model on one backend. */
async function runModel(backend: string, config = CONFIG, batch = 4): Promise<Outputs> {
  await tf.setBackend(backend);
  const model = LSTMModel.create(config, { seed: 11 });
  const images = tf.randomUniform([batch, 7, config.inputSize], -1, 1, 'float32', 12) as tf.Tensor3D;

  const logitsTensor = model.forward(images);
  const logits = (await logitsTensor.data()) as Float32Array;
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.forward(images))) as tf.Scalar, model.trainableVariables());
  const gradients = await Promise.all(model.trainableVariables().map(async (variable) => (await (grads[variable.name] as tf.Tensor).data()) as Float32Array));

  tf.dispose([logitsTensor, value, images, ...Object.values(grads)]);
  model.dispose();
  return { logits, gradients };
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function maxAbsDifference(actual: Float32Array, expected: Float32Array): number {
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs((actual[i] as number) - (expected[i] as number)));
  return max;
}

describe('fused LSTM kernels', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('give the logits and gradients of the composed ops on the CPU backend', async () => {
    const expected = await runModel('cpu');
    const actual = await runModel(NATIVE_CPU_BACKEND_NAME);

    expect(maxAbsDifference(actual.logits, expected.logits)).toBeLessThan(1e-5);
    expect(actual.gradients).toHaveLength(expected.gradients.length);
    for (const [index, gradient] of expected.gradients.entries()) {
      expect(maxAbsDifference(actual.gradients[index] as Float32Array, gradient)).toBeLessThan(1e-4);
    }
  });

  it('match composed ops when threaded', async () => {
    const expected = await runModel('cpu', THREADED_CONFIG, THREADED_BATCH);
    const actual = await runModel(NATIVE_CPU_BACKEND_NAME, THREADED_CONFIG, THREADED_BATCH);

    expect(maxAbsDifference(actual.logits, expected.logits)).toBeLessThan(1e-5);
    for (const [index, gradient] of expected.gradients.entries()) {
      expect(maxAbsDifference(actual.gradients[index] as Float32Array, gradient)).toBeLessThan(1e-4);
    }
  });

  it('give bit-identical logits and gradients on 1 and 2 threads', async () => {
    await tf.setBackend(NATIVE_CPU_BACKEND_NAME);
    const { addon } = tf.backend() as NativeCpuBackend;
    const initialThreads = addon.info().threads;
    try {
      addon.setThreads(1);
      const single = await runModel(NATIVE_CPU_BACKEND_NAME, THREADED_CONFIG, THREADED_BATCH);
      addon.setThreads(2);
      const double = await runModel(NATIVE_CPU_BACKEND_NAME, THREADED_CONFIG, THREADED_BATCH);

      expect(sameBits(double.logits, single.logits)).toBe(true);
      for (const [index, gradient] of single.gradients.entries()) {
        expect(sameBits(double.gradients[index] as Float32Array, gradient), `gradient ${index}`).toBe(true);
      }
    } finally {
      addon.setThreads(initialThreads);
    }
  });

  it('release every tensor and kept workspace after forward and backward', async () => {
    await tf.setBackend(NATIVE_CPU_BACKEND_NAME);
    const backend = tf.backend() as NativeCpuBackend;
    const before = tf.memory().numTensors;

    await runModel(NATIVE_CPU_BACKEND_NAME);

    expect(tf.memory().numTensors).toBe(before);
    expect(backend.keptLSTMWorkspaces()).toBe(0);
  });

  it('keep no workspace for a forward pass outside gradients', async () => {
    await tf.setBackend(NATIVE_CPU_BACKEND_NAME);
    const backend = tf.backend() as NativeCpuBackend;
    const model = LSTMModel.create(CONFIG, { seed: 1 });
    const images = tf.zeros([2, 3, CONFIG.inputSize]) as tf.Tensor3D;

    const logits = model.forward(images);

    expect(backend.keptLSTMWorkspaces()).toBe(0);
    tf.dispose([logits, images]);
    model.dispose();
  });

  it('rejects an input whose rows do not match time times batch', async () => {
    await tf.setBackend(NATIVE_CPU_BACKEND_NAME);
    const inputs = {
      input: tf.zeros([5, 2]),
      kernel: tf.zeros([2, 8]),
      recurrentKernel: tf.zeros([2, 8]),
      biasIh: tf.zeros([8]),
      biasHh: tf.zeros([8]),
    };

    expect(() => tf.engine().runKernel('LSTMSequence', inputs, { time: 2, batch: 3, returnSequences: false })).toThrow(
      'LSTMSequence: input has shape [5,2], expected [6,2]',
    );
    tf.dispose(Object.values(inputs));
  });
});
