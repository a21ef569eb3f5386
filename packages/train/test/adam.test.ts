import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { Adam, DEFAULT_ADAM_EPSILON } from '../src/index.js';
import { PARAMETER_NAMES, fixtureTensor, getStored, maxAbsoluteDifference, readFixture } from './helpers/fixture.js';
import { useBackend } from './helpers/backend.js';

beforeAll(async () => {
  await useBackend('cpu');
});

/** Variables holding the fixture's parameters in PyTorch layout, with the matching gradients. */
function loadFixtureParameters(): { variables: tf.Variable[]; gradients: tf.Tensor[] } {
  const model = readFixture('model');
  const expected = readFixture('expected');
  const variables = PARAMETER_NAMES.map((name) => tf.tidy(() => tf.variable(fixtureTensor(model, name))));
  const gradients = PARAMETER_NAMES.map((name) => fixtureTensor(expected, `grad.${name}`));

  return { variables, gradients };
}

/** Largest difference between each variable and the fixture's parameter after one PyTorch Adam step. */
async function maxDifferenceFromPyTorchStep(variables: tf.Variable[]): Promise<number> {
  const expected = readFixture('expected');
  let worst = 0;
  for (const [index, name] of PARAMETER_NAMES.entries()) {
    const actual = await (variables[index] as tf.Variable).data();
    const reference = getStored(expected, `after_adam_step.${name}`).data;
    worst = Math.max(worst, maxAbsoluteDifference(actual, reference).value);
  }

  return worst;
}

let owned: tf.TensorContainer[] = [];
afterEach(() => {
  tf.dispose(owned);
  owned = [];
});

describe('Adam against PyTorch', () => {
  it('matches one PyTorch step', async () => {
    const { variables, gradients } = loadFixtureParameters();
    owned.push(variables, gradients);
    const adam = new Adam(variables, { lr: 0.001 });

    adam.step(gradients);

    expect(await maxDifferenceFromPyTorchStep(variables)).toBeLessThan(1e-7);
    adam.dispose();
  });

  it('misses the fixture with tfjs default epsilon 1e-7', async () => {
    const { variables, gradients } = loadFixtureParameters();
    owned.push(variables, gradients);
    const adam = new Adam(variables, { lr: 0.001, epsilon: 1e-7 });

    adam.step(gradients);

    expect(await maxDifferenceFromPyTorchStep(variables)).toBeGreaterThan(1e-6);
    adam.dispose();
  });

  it('defaults to PyTorch epsilon 1e-8', () => {
    const variable = tf.variable(tf.zeros([1]));
    owned.push(variable);
    const adam = new Adam([variable]);

    expect(adam.epsilon).toBe(DEFAULT_ADAM_EPSILON);
    expect(DEFAULT_ADAM_EPSILON).toBe(1e-8);
    adam.dispose();
  });
});

describe('Adam update', () => {
  /** PyTorch's Adam formula in float64 for one scalar parameter. */
  function referenceAdam(p0: number, gradients: number[], lr: number, beta1: number, beta2: number, epsilon: number): number {
    let p = p0;
    let m = 0;
    let v = 0;
    gradients.forEach((g, index) => {
      const t = index + 1;
      m = beta1 * m + (1 - beta1) * g;
      v = beta2 * v + (1 - beta2) * g * g;
      const denominator = Math.sqrt(v) / Math.sqrt(1 - beta2 ** t) + epsilon;
      p -= ((lr / (1 - beta1 ** t)) * m) / denominator;
    });

    return p;
  }

  it('follows the float64 formula over three steps', async () => {
    const variable = tf.variable(tf.tensor1d([0.5, -2]));
    owned.push(variable);
    const adam = new Adam([variable], { lr: 0.1, beta1: 0.8, beta2: 0.9, epsilon: 1e-3 });
    const steps = [
      [0.3, -4],
      [-0.1, 2],
      [0.25, 0.001],
    ];

    for (const values of steps) {
      const gradient = tf.tensor1d(values);
      adam.step([gradient]);
      gradient.dispose();
    }
    const actual = await variable.data();

    expect(actual[0]).toBeCloseTo(referenceAdam(0.5, steps.map((g) => g[0] as number), 0.1, 0.8, 0.9, 1e-3), 6);
    expect(actual[1]).toBeCloseTo(referenceAdam(-2, steps.map((g) => g[1] as number), 0.1, 0.8, 0.9, 1e-3), 6);
    expect(adam.stepCount).toBe(3);
    adam.dispose();
  });

  it('keeps the tensor count constant across steps', () => {
    const variable = tf.variable(tf.ones([3, 4]));
    const gradient = tf.fill([3, 4], 0.5);
    owned.push(variable, gradient);
    const adam = new Adam([variable]);
    adam.step([gradient]);
    const afterFirstStep = tf.memory().numTensors;

    adam.step([gradient]);
    adam.step([gradient]);

    expect(tf.memory().numTensors).toBe(afterFirstStep);
    adam.dispose();
  });

  it('frees its moments on dispose', () => {
    const variable = tf.variable(tf.ones([2]));
    owned.push(variable);
    const before = tf.memory().numTensors;
    const adam = new Adam([variable]);

    adam.dispose();

    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Adam state', () => {
  it('resumes identically from getState', async () => {
    const gradientValues = [[1, -2], [0.5, 0.5], [-1, 3]];
    const original = tf.variable(tf.tensor1d([1, 2]));
    const resumed = tf.variable(tf.tensor1d([1, 2]));
    owned.push(original, resumed);
    const first = new Adam([original]);
    const gradients = gradientValues.map((values) => tf.tensor1d(values));
    owned.push(gradients);

    first.step([gradients[0] as tf.Tensor]);
    const state = first.getState();
    resumed.assign(original);
    const second = new Adam([resumed]);
    second.setState(state);
    tf.dispose([state.firstMoments, state.secondMoments]);
    for (const gradient of gradients.slice(1)) {
      first.step([gradient]);
      second.step([gradient]);
    }

    expect(second.stepCount).toBe(3);
    expect(Array.from(await resumed.data())).toEqual(Array.from(await original.data()));
    first.dispose();
    second.dispose();
  });

  it('returns copies that survive later steps', async () => {
    const variable = tf.variable(tf.tensor1d([1]));
    const gradient = tf.tensor1d([2]);
    owned.push(variable, gradient);
    const adam = new Adam([variable]);
    adam.step([gradient]);

    const state = adam.getState();
    adam.step([gradient]);

    expect(state.stepCount).toBe(1);
    expect((await state.firstMoments[0]?.data())?.[0]).toBeCloseTo(0.2, 6);
    tf.dispose([state.firstMoments, state.secondMoments]);
    adam.dispose();
  });

  it('rejects a state with the wrong moment shape', () => {
    const variable = tf.variable(tf.zeros([2, 3]));
    const wrong = tf.zeros([3, 2]);
    const right = tf.zeros([2, 3]);
    owned.push(variable, wrong, right);
    const adam = new Adam([variable]);

    expect(() => adam.setState({ stepCount: 1, firstMoments: [wrong], secondMoments: [right] })).toThrow(
      /firstMoments\[0\] has shape \[3, 2\] but variable '.+' has shape \[2, 3\]/,
    );
    adam.dispose();
  });

  it('rejects a negative step count', () => {
    const variable = tf.variable(tf.zeros([1]));
    const moment = tf.zeros([1]);
    owned.push(variable, moment);
    const adam = new Adam([variable]);

    expect(() => adam.setState({ stepCount: -1, firstMoments: [moment], secondMoments: [moment] })).toThrow(
      /stepCount must be a non-negative integer, got -1/,
    );
    adam.dispose();
  });
});

describe('Adam input checks', () => {
  it('rejects an empty variable list', () => {
    expect(() => new Adam([])).toThrow(/the variable list is empty/);
  });

  it('rejects a repeated variable', () => {
    const variable = tf.variable(tf.zeros([1]));
    owned.push(variable);

    expect(() => new Adam([variable, variable])).toThrow(/appears more than once/);
  });

  it('rejects an int32 variable', () => {
    const variable = tf.variable(tf.zeros([1], 'int32'));
    owned.push(variable);

    expect(() => new Adam([variable])).toThrow(/must be float32, got int32/);
  });

  it.each([
    ['lr', { lr: -0.1 }, /lr must be a finite number >= 0, got -0.1/],
    ['lr', { lr: Number.NaN }, /lr must be a finite number >= 0, got NaN/],
    ['beta1', { beta1: 1 }, /beta1 must be in \[0, 1\), got 1/],
    ['beta2', { beta2: -0.5 }, /beta2 must be in \[0, 1\), got -0.5/],
    ['epsilon', { epsilon: -1e-8 }, /epsilon must be a finite number >= 0, got -1e-8/],
  ])('rejects an invalid %s', (_name, options, message) => {
    const variable = tf.variable(tf.zeros([1]));
    owned.push(variable);

    expect(() => new Adam([variable], options)).toThrow(message);
  });

  it('rejects a gradient count mismatch', () => {
    const variable = tf.variable(tf.zeros([1]));
    owned.push(variable);
    const adam = new Adam([variable]);

    expect(() => adam.step([])).toThrow(/expected 1 gradients \(one per variable\), got 0/);
    adam.dispose();
  });

  it('rejects a gradient shape mismatch', () => {
    const variable = tf.variable(tf.zeros([2]), true, 'adam-shape-check');
    const gradient = tf.zeros([3]);
    owned.push(variable, gradient);
    const adam = new Adam([variable]);

    expect(() => adam.step([gradient])).toThrow(
      "Adam.step: gradients[0] has shape [3] but variable 'adam-shape-check' has shape [2].",
    );
    adam.dispose();
  });

  it('rejects a step after dispose', () => {
    const variable = tf.variable(tf.zeros([1]));
    const gradient = tf.zeros([1]);
    owned.push(variable, gradient);
    const adam = new Adam([variable]);
    adam.dispose();

    expect(() => adam.step([gradient])).toThrow(/the optimizer has been disposed/);
  });
});
