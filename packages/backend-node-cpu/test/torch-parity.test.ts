import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LSTMModel, type SafetensorsTensor, parseSafetensors, safetensorToTensor } from '@lstm-mnist/model';

import { NATIVE_CPU_BACKEND_NAME } from '../src/index.js';

/** The model package's PyTorch fixture: weights, one batch, and PyTorch's logits, loss and gradients. */
const FIXTURE_DIR = fileURLToPath(new URL('../../model/test/fixtures/torch-lstm-parity/', import.meta.url));

// The same tolerances as the model's own parity test: float32 with another summation order.
const LOGITS_TOLERANCE = 1e-5;
const LOSS_TOLERANCE = 1e-5;
const GRADIENT_RELATIVE_TOLERANCE = 1e-4;

function readFixture(name: string): Map<string, SafetensorsTensor> {
  return parseSafetensors(readFileSync(`${FIXTURE_DIR}${name}.safetensors`));
}

function expectedValues(expected: Map<string, SafetensorsTensor>, name: string): Float32Array {
  const entry = expected.get(name);
  if (entry === undefined) throw new Error(`The parity fixture has no tensor '${name}'.`);
  return entry.data as Float32Array;
}

/** Mean cross-entropy of integer labels, as PyTorch's `nn.CrossEntropyLoss()`. */
function meanCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const mask = tf.cast(tf.oneHot(labels, logits.shape[1]), 'float32');
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), mask), 1))) as tf.Scalar;
  });
}

function maxAbsDifference(actual: Float32Array, expected: Float32Array): number {
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs((actual[i] as number) - (expected[i] as number)));
  return max;
}

function maxAbs(values: Float32Array): number {
  return values.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
}

describe('PyTorch parity on the native-cpu backend', () => {
  const modelFixture = readFixture('model');
  const expected = readFixture('expected');
  let model: LSTMModel;
  let logits: Float32Array;
  let loss: number;
  let gradients: Map<string, Float32Array>;
  let leakedTensors: number;

  beforeAll(async () => {
    await tf.setBackend(NATIVE_CPU_BACKEND_NAME);
    model = LSTMModel.create();
    const stateDict = new Map([...modelFixture].map(([name, entry]) => [name, safetensorToTensor(entry)]));
    model.loadStateDict(stateDict);
    tf.dispose([...stateDict.values()]);
    const batch = readFixture('batch');
    const images = safetensorToTensor(batch.get('images') as SafetensorsTensor) as tf.Tensor3D;
    const labels = safetensorToTensor(batch.get('labels') as SafetensorsTensor) as tf.Tensor1D;
    const before = tf.memory().numTensors;

    const logitsTensor = model.forward(images);
    logits = (await logitsTensor.data()) as Float32Array;
    logitsTensor.dispose();
    const { value, grads } = tf.variableGrads(() => meanCrossEntropy(model.forward(images), labels), model.trainableVariables());
    loss = (await value.data())[0] as number;
    gradients = new Map();
    const names = model.parameterNames();
    for (const [index, variable] of model.trainableVariables().entries()) {
      const name = names[index] as string;
      const grad = grads[variable.name] as tf.Tensor;
      // Kernels are stored transposed; PyTorch's gradients have the weight's [out, in] layout.
      const torchLayout = name.includes('weight') ? tf.transpose(grad) : tf.clone(grad);
      gradients.set(name, (await torchLayout.data()) as Float32Array);
      torchLayout.dispose();
    }
    tf.dispose([value, ...Object.values(grads)]);
    leakedTensors = tf.memory().numTensors - before;
    tf.dispose([images, labels]);
  });

  afterAll(async () => {
    model.dispose();
    await tf.setBackend('cpu');
  });

  it('runs on the native-cpu backend', () => {
    expect(tf.getBackend()).toBe(NATIVE_CPU_BACKEND_NAME);
  });

  it('matches PyTorch logits', () => {
    expect(maxAbsDifference(logits, expectedValues(expected, 'logits'))).toBeLessThan(LOGITS_TOLERANCE);
  });

  it('matches PyTorch loss inside variableGrads', () => {
    expect(Math.abs(loss - (expectedValues(expected, 'loss')[0] as number))).toBeLessThan(LOSS_TOLERANCE);
  });

  it.each([...modelFixture.keys()])('matches PyTorch gradient of %s', (name) => {
    const reference = expectedValues(expected, `grad.${name}`);
    const actual = gradients.get(name) as Float32Array;

    expect(actual).toHaveLength(reference.length);
    expect(maxAbsDifference(actual, reference)).toBeLessThanOrEqual(GRADIENT_RELATIVE_TOLERANCE * maxAbs(reference));
  });

  it('releases every intermediate tensor of forward and backward', () => {
    expect(leakedTensors).toBe(0);
  });
});
