import '@tensorflow/tfjs-backend-cpu';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createSeededRandom, LSTMModel } from '../src/index.js';
import { maxAbsDifference } from './helpers.js';

function stateDictValues(model: LSTMModel): Map<string, Float32Array> {
  const stateDict = model.stateDict();
  const values = new Map([...stateDict].map(([name, tensor]) => [name, tensor.dataSync() as Float32Array]));
  tf.dispose([...stateDict.values()]);
  return values;
}

describe('createSeededRandom', () => {
  it('repeats the sequence for the same seed', () => {
    const first = createSeededRandom(42);
    const second = createSeededRandom(42);

    expect(Array.from({ length: 5 }, first)).toEqual(Array.from({ length: 5 }, second));
  });

  it('gives another sequence for another seed', () => {
    const first = createSeededRandom(1);
    const second = createSeededRandom(2);

    expect(Array.from({ length: 5 }, first)).not.toEqual(Array.from({ length: 5 }, second));
  });

  it('uses the high bits of seeds above 2^32', () => {
    const low = createSeededRandom(7);
    const high = createSeededRandom(7 + 2 ** 32);

    expect(low()).not.toBe(high());
  });

  it('draws uniform values in [0, 1)', () => {
    const random = createSeededRandom(3);
    const values = Array.from({ length: 100_000 }, random);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const belowQuarter = values.filter((value) => value < 0.25).length / values.length;

    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    // Standard error of the mean is 0.29 / sqrt(1e5), about 0.001.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(belowQuarter - 0.25)).toBeLessThan(0.01);
  });

  it.each([-1, 1.5, Number.NaN, 2 ** 53])('rejects seed %s', (seed) => {
    expect(() => createSeededRandom(seed)).toThrow(`Invalid seed ${seed}: expected a non-negative integer up to ${Number.MAX_SAFE_INTEGER}.`);
  });
});

describe('LSTMModel.create initialisation', () => {
  let model: LSTMModel;
  let values: Map<string, Float32Array>;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = LSTMModel.create({}, { seed: 7 });
    values = stateDictValues(model);
  });

  afterAll(() => {
    model.dispose();
  });

  // nn.LSTM(28, 128) and nn.Linear(128, 10) both draw from U(-1/sqrt(128), 1/sqrt(128)).
  const bound = 1 / Math.sqrt(128);

  it.each([
    'lstm.weight_ih_l0',
    'lstm.weight_hh_l0',
    'lstm.bias_ih_l0',
    'lstm.bias_hh_l0',
    'lstm.weight_ih_l1',
    'lstm.weight_hh_l1',
    'lstm.bias_ih_l1',
    'lstm.bias_hh_l1',
    'fc.weight',
    'fc.bias',
  ])('draws %s within +-1/sqrt(128)', (name) => {
    const parameter = values.get(name) as Float32Array;

    expect(Math.max(...parameter)).toBeLessThanOrEqual(bound);
    expect(Math.min(...parameter)).toBeGreaterThanOrEqual(-bound);
  });

  it('spreads LSTM weights over the whole range', () => {
    const weights = values.get('lstm.weight_hh_l0') as Float32Array;
    const mean = weights.reduce((sum, value) => sum + value, 0) / weights.length;
    const variance = weights.reduce((sum, value) => sum + (value - mean) ** 2, 0) / weights.length;

    expect(Math.max(...weights)).toBeGreaterThan(0.99 * bound);
    expect(Math.min(...weights)).toBeLessThan(-0.99 * bound);
    expect(Math.abs(mean)).toBeLessThan(0.01 * bound);
    // A uniform distribution on [-b, b] has variance b^2 / 3.
    expect(variance).toBeCloseTo(bound ** 2 / 3, 4);
  });

  it('uses 1/sqrt(in_features) for the linear layer of another hidden size', () => {
    const small = LSTMModel.create({ hiddenSize: 16 }, { seed: 1 });
    const fcWeight = stateDictValues(small).get('fc.weight') as Float32Array;
    small.dispose();

    expect(Math.max(...fcWeight.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(16));
    expect(Math.max(...fcWeight.map(Math.abs))).toBeGreaterThan(0.5 / Math.sqrt(16));
  });

  it('repeats weights for the same seed', () => {
    const again = LSTMModel.create({}, { seed: 7 });
    const againValues = stateDictValues(again);
    again.dispose();

    for (const [name, parameter] of values) {
      expect(maxAbsDifference(againValues.get(name) as Float32Array, parameter), name).toBe(0);
    }
  });

  it('gives other weights for another seed', () => {
    const other = LSTMModel.create({}, { seed: 8 });
    const otherValues = stateDictValues(other);
    other.dispose();

    expect(maxAbsDifference(otherValues.get('lstm.weight_ih_l0') as Float32Array, values.get('lstm.weight_ih_l0') as Float32Array)).toBeGreaterThan(0);
  });

  it('gives other weights without a seed', () => {
    const first = LSTMModel.create({ hiddenSize: 4 });
    const second = LSTMModel.create({ hiddenSize: 4 });
    const firstValues = stateDictValues(first);
    const secondValues = stateDictValues(second);
    first.dispose();
    second.dispose();

    expect(firstValues.get('lstm.weight_ih_l0')).not.toEqual(secondValues.get('lstm.weight_ih_l0'));
  });

  it('rejects an invalid seed', () => {
    expect(() => LSTMModel.create({}, { seed: -3 })).toThrow('Invalid seed -3');
  });
});
