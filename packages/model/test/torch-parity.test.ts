import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LSTMModel } from '../src/index.js';
import { fixtureTensors, gatherRows, maxAbs, maxAbsDifference, meanCrossEntropy, readFixture } from './helpers.js';

// The fixture was made by PyTorch in float32; another summation order changes the last bits.
const LOGITS_TOLERANCE = 1e-5;
const LOSS_TOLERANCE = 1e-5;
/** Gradient tolerance relative to the largest |gradient| of each parameter. */
const GRADIENT_RELATIVE_TOLERANCE = 1e-4;

const modelFixture = readFixture('model');
const batchFixture = readFixture('batch');
const expectedFixture = readFixture('expected');

function expectedValues(name: string): Float32Array {
  const entry = expectedFixture.get(name);
  if (entry === undefined) {
    throw new Error(`The parity fixture has no tensor '${name}'.`);
  }
  return entry.data as Float32Array;
}

describe.each(['cpu', 'wasm'])('PyTorch parity on the %s backend', (backend) => {
  let model: LSTMModel;
  let images: tf.Tensor3D;
  let labels: tf.Tensor1D;
  let logits: Float32Array;
  let lossFromGather: number;
  let lossInGradients: number;
  let gradients: Map<string, Float32Array>;
  let leakedTensors: number;

  beforeAll(async () => {
    await tf.setBackend(backend);
    model = LSTMModel.create();
    const stateDict = fixtureTensors(modelFixture);
    model.loadStateDict(stateDict);
    tf.dispose([...stateDict.values()]);

    const batch = fixtureTensors(batchFixture);
    images = batch.get('images') as tf.Tensor3D;
    labels = batch.get('labels') as tf.Tensor1D;
    const tensorsBefore = tf.memory().numTensors;

    const logitsTensor = model.forward(images);
    const gatheredLoss = tf.tidy(() => tf.neg(tf.mean(gatherRows(tf.logSoftmax(logitsTensor), labels))));
    logits = (await logitsTensor.data()) as Float32Array;
    lossFromGather = (await gatheredLoss.data())[0] as number;
    tf.dispose([logitsTensor, gatheredLoss]);

    const { value, grads } = tf.variableGrads(() => meanCrossEntropy(model.forward(images), labels), model.trainableVariables());
    lossInGradients = (await value.data())[0] as number;
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
    leakedTensors = tf.memory().numTensors - tensorsBefore;
  });

  afterAll(() => {
    model.dispose();
    tf.dispose([images, labels]);
  });

  it('runs on the requested backend', () => {
    expect(tf.getBackend()).toBe(backend);
  });

  it('matches PyTorch logits', () => {
    expect(maxAbsDifference(logits, expectedValues('logits'))).toBeLessThan(LOGITS_TOLERANCE);
  });

  it('matches PyTorch loss computed with log-softmax and gather', () => {
    expect(Math.abs(lossFromGather - (expectedValues('loss')[0] as number))).toBeLessThan(LOSS_TOLERANCE);
  });

  it('matches PyTorch loss inside variableGrads', () => {
    expect(Math.abs(lossInGradients - (expectedValues('loss')[0] as number))).toBeLessThan(LOSS_TOLERANCE);
  });

  it.each([...modelFixture.keys()])('matches PyTorch gradient of %s', (name) => {
    const expected = expectedValues(`grad.${name}`);
    const actual = gradients.get(name) as Float32Array;

    expect(actual).toHaveLength(expected.length);
    expect(maxAbsDifference(actual, expected)).toBeLessThanOrEqual(GRADIENT_RELATIVE_TOLERANCE * maxAbs(expected));
  });

  it('gives bias_ih and bias_hh the same gradient', () => {
    for (let layer = 0; layer < model.config.numLayers; layer++) {
      const difference = maxAbsDifference(
        gradients.get(`lstm.bias_ih_l${layer}`) as Float32Array,
        gradients.get(`lstm.bias_hh_l${layer}`) as Float32Array,
      );
      expect(difference).toBe(0);
    }
  });

  it('releases every intermediate tensor of forward and backward', () => {
    expect(leakedTensors).toBe(0);
  });
});
