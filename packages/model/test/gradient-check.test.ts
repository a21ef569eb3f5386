import '@tensorflow/tfjs-backend-cpu';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type LSTMModelConfig, LSTMModel } from '../src/index.js';
import { meanCrossEntropy, referenceLogits } from './helpers.js';

const BATCH = 2;
const DEFAULT_TIME = 5;
const LABELS = [2, 0];

/**
 * Central-difference step on float32: the truncation error grows as step^2 and
 * the rounding error of a float32 loss near 1 (about 6e-8) as 1 / step, so 1e-2
 * keeps both near an estimated 1e-5.
 */
const FLOAT32_STEP = 1e-2;
const FLOAT32_ABSOLUTE_TOLERANCE = 1e-4;
const FLOAT32_RELATIVE_TOLERANCE = 1e-2;
/** With the float64 reference the rounding error vanishes, so a small step and a tight tolerance work. */
const FLOAT64_STEP = 1e-5;
const FLOAT64_ABSOLUTE_TOLERANCE = 1e-6;

function sequenceData(config: LSTMModelConfig, time = DEFAULT_TIME): number[][][] {
  return Array.from({ length: BATCH }, (_, b) =>
    Array.from({ length: time }, (_, t) => Array.from({ length: config.inputSize }, (_, k) => Math.sin(1.3 * t + 2.1 * k + 0.7 * b))),
  );
}

function referenceLoss(weights: Map<string, Float64Array>, sequences: number[][][], config: LSTMModelConfig): number {
  let total = 0;
  sequences.forEach((sequence, b) => {
    const logits = referenceLogits(weights, sequence, config);
    const max = Math.max(...logits);
    const logSumExp = max + Math.log(logits.reduce((sum, value) => sum + Math.exp(value - max), 0));
    total += logSumExp - (logits[LABELS[b] as number] as number);
  });
  return total / sequences.length;
}

/** Gradients of the mean cross-entropy for every parameter in PyTorch layout, and for the input. */
function analyticGradients(model: LSTMModel, x: tf.Tensor3D, labels: tf.Tensor1D): { parameters: Map<string, Float32Array>; input: Float32Array } {
  const { value, grads } = tf.variableGrads(() => meanCrossEntropy(model.forward(x), labels), model.trainableVariables());
  const names = model.parameterNames();
  const parameters = new Map<string, Float32Array>();
  model.trainableVariables().forEach((variable, index) => {
    const name = names[index] as string;
    const grad = grads[variable.name] as tf.Tensor;
    const torchLayout = name.includes('weight') ? tf.transpose(grad) : tf.clone(grad);
    parameters.set(name, torchLayout.dataSync() as Float32Array);
    torchLayout.dispose();
  });
  tf.dispose([value, ...Object.values(grads)]);

  const inputGradient = tf.grad((input: tf.Tensor) => meanCrossEntropy(model.forward(input as tf.Tensor3D), labels))(x);
  const input = inputGradient.dataSync() as Float32Array;
  inputGradient.dispose();
  return { parameters, input };
}

describe.each([
  { config: { inputSize: 3, hiddenSize: 4, numLayers: 1, numClasses: 3 }, time: DEFAULT_TIME },
  { config: { inputSize: 3, hiddenSize: 4, numLayers: 2, numClasses: 3 }, time: DEFAULT_TIME },
  { config: { inputSize: 3, hiddenSize: 4, numLayers: 2, numClasses: 3 }, time: 1 },
  { config: { inputSize: 2, hiddenSize: 3, numLayers: 3, numClasses: 4 }, time: DEFAULT_TIME },
])('LSTMModel gradients with $config.numLayers layers and $time steps', ({ config, time }) => {
  let model: LSTMModel;
  let x: tf.Tensor3D;
  let labels: tf.Tensor1D;
  let analytic: { parameters: Map<string, Float32Array>; input: Float32Array };

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = LSTMModel.create(config, { seed: 3 });
    x = tf.tensor3d(sequenceData(config, time));
    labels = tf.tensor1d(LABELS, 'int32');
    analytic = analyticGradients(model, x, labels);
  });

  afterAll(() => {
    model.dispose();
    tf.dispose([x, labels]);
  });

  it('matches float64 finite differences', () => {
    const stateDict = model.stateDict();
    const weights = new Map([...stateDict].map(([name, tensor]) => [name, Float64Array.from(tensor.dataSync())]));
    tf.dispose([...stateDict.values()]);
    const sequences = sequenceData(config, time);

    for (const [name, values] of weights) {
      const gradient = analytic.parameters.get(name) as Float32Array;
      for (let i = 0; i < values.length; i++) {
        const original = values[i] as number;
        values[i] = original + FLOAT64_STEP;
        const above = referenceLoss(weights, sequences, config);
        values[i] = original - FLOAT64_STEP;
        const below = referenceLoss(weights, sequences, config);
        values[i] = original;

        const estimate = (above - below) / (2 * FLOAT64_STEP);
        expect(Math.abs(estimate - (gradient[i] as number)), `${name}[${i}]`).toBeLessThanOrEqual(FLOAT64_ABSOLUTE_TOLERANCE);
      }
    }
  });

  it('matches input finite differences', () => {
    const stateDict = model.stateDict();
    const weights = new Map([...stateDict].map(([name, tensor]) => [name, Float64Array.from(tensor.dataSync())]));
    tf.dispose([...stateDict.values()]);
    const sequences = sequenceData(config, time);

    sequences.forEach((sequence, b) =>
      sequence.forEach((features, t) =>
        features.forEach((original, k) => {
          features[k] = original + FLOAT64_STEP;
          const above = referenceLoss(weights, sequences, config);
          features[k] = original - FLOAT64_STEP;
          const below = referenceLoss(weights, sequences, config);
          features[k] = original;

          const estimate = (above - below) / (2 * FLOAT64_STEP);
          const index = (b * time + t) * config.inputSize + k;
          expect(Math.abs(estimate - (analytic.input[index] as number)), `x[${b}, ${t}, ${k}]`).toBeLessThanOrEqual(FLOAT64_ABSOLUTE_TOLERANCE);
        }),
      ),
    );
  });
});

describe('LSTMModel gradients against float32 finite differences', () => {
  const config = { inputSize: 3, hiddenSize: 4, numLayers: 2, numClasses: 3 };
  let model: LSTMModel;
  let x: tf.Tensor3D;
  let labels: tf.Tensor1D;
  let gradients: Map<string, Float32Array>;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = LSTMModel.create(config, { seed: 4 });
    x = tf.tensor3d(sequenceData(config));
    labels = tf.tensor1d(LABELS, 'int32');
    gradients = analyticGradients(model, x, labels).parameters;
  });

  afterAll(() => {
    model.dispose();
    tf.dispose([x, labels]);
  });

  it('matches its own float32 finite differences', () => {
    const stateDict = model.stateDict();
    const lossAt = () => tf.tidy(() => meanCrossEntropy(model.forward(x), labels).dataSync()[0] as number);

    for (const [name, tensor] of stateDict) {
      const values = tensor.dataSync() as Float32Array;
      const gradient = gradients.get(name) as Float32Array;
      for (let i = 0; i < values.length; i++) {
        const original = values[i] as number;
        const lossWith = (offset: number) => {
          const perturbed = new Map(stateDict);
          const copy = values.slice();
          copy[i] = original + offset;
          perturbed.set(name, tf.tensor(copy, tensor.shape));
          model.loadStateDict(perturbed);
          (perturbed.get(name) as tf.Tensor).dispose();
          return lossAt();
        };
        const estimate = (lossWith(FLOAT32_STEP) - lossWith(-FLOAT32_STEP)) / (2 * FLOAT32_STEP);
        const tolerance = FLOAT32_ABSOLUTE_TOLERANCE + FLOAT32_RELATIVE_TOLERANCE * Math.abs(gradient[i] as number);
        expect(Math.abs(estimate - (gradient[i] as number)), `${name}[${i}]`).toBeLessThanOrEqual(tolerance);
      }
    }

    model.loadStateDict(stateDict);
    tf.dispose([...stateDict.values()]);
  });
});
