import '@tensorflow/tfjs-backend-cpu';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LSTMModel, StateDictError } from '../src/index.js';
import { referenceLogits } from './helpers.js';

const TINY = { inputSize: 3, hiddenSize: 4, numLayers: 2, numClasses: 5 };

describe('LSTMModel', () => {
  let model: LSTMModel;
  let startTensors: number;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    startTensors = tf.memory().numTensors;
    model = LSTMModel.create(TINY, { seed: 11 });
  });

  afterAll(() => {
    model.dispose();
  });

  it('lists PyTorch state_dict names in variable order', () => {
    expect(model.parameterNames()).toEqual([
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
    ]);
  });

  it('stores kernels in matmul layout', () => {
    const shapes = model.trainableVariables().map((variable) => variable.shape);

    expect(shapes).toEqual([[3, 16], [4, 16], [16], [16], [4, 16], [4, 16], [16], [16], [4, 5], [5]]);
  });

  it('counts parameters like PyTorch', () => {
    // sum(p.numel() for p in model.parameters()) for LSTM(3, 4, 2) + Linear(4, 5).
    expect(model.parameterCount).toBe(48 + 64 + 16 + 16 + 64 + 64 + 16 + 16 + 20 + 5);
  });

  it('counts 214282 parameters for the default model', () => {
    const defaults = LSTMModel.create({}, { seed: 0 });
    const count = defaults.parameterCount;
    defaults.dispose();

    // Layer 0: 512 * (28 + 128 + 2); layer 1: 512 * (128 + 128 + 2); fc: 10 * 128 + 10.
    expect(count).toBe(80_896 + 132_096 + 1_290);
  });

  it('gives every model its own variable names', () => {
    const other = LSTMModel.create(TINY, { seed: 11 });
    const names = new Set([...model.trainableVariables(), ...other.trainableVariables()].map((variable) => variable.name));
    other.dispose();

    expect(names.size).toBe(2 * model.parameterNames().length);
  });

  it('marks every variable trainable', () => {
    expect(model.trainableVariables().every((variable) => variable.trainable)).toBe(true);
  });

  it('matches a float64 reference recurrence', () => {
    const stateDict = model.stateDict();
    const weights = new Map([...stateDict].map(([name, tensor]) => [name, Array.from(tensor.dataSync())]));
    tf.dispose([...stateDict.values()]);
    const sequence = Array.from({ length: 6 }, (_, t) => Array.from({ length: 3 }, (_, k) => Math.sin(t * 3 + k)));

    const x = tf.tensor3d([sequence]);
    const logits = model.forward(x);
    const actual = Array.from(logits.dataSync());
    tf.dispose([x, logits]);

    const expected = referenceLogits(weights, sequence, TINY);
    actual.forEach((value, index) => expect(value).toBeCloseTo(expected[index] as number, 5));
  });

  it('returns logits [batch, numClasses] for any sequence length', () => {
    for (const time of [1, 2, 9]) {
      const x = tf.randomNormal([7, time, 3]) as tf.Tensor3D;
      const logits = model.forward(x);

      expect(logits.shape).toEqual([7, 5]);
      expect(logits.dtype).toBe('float32');
      tf.dispose([x, logits]);
    }
  });

  it('computes each sequence independently of the batch', () => {
    const x = tf.randomNormal([3, 5, 3]) as tf.Tensor3D;
    const batched = model.forward(x);
    const secondSequence = tf.slice(x, [1, 0, 0], [1, 5, 3]);
    const single = model.forward(secondSequence);

    const batchedRow = Array.from(batched.dataSync().slice(5, 10));
    Array.from(single.dataSync()).forEach((value, index) => expect(value).toBeCloseTo(batchedRow[index] as number, 6));
    tf.dispose([x, secondSequence, batched, single]);
  });

  it('rejects input of the wrong rank', () => {
    const x = tf.zeros([2, 3]);

    expect(() => model.forward(x as unknown as tf.Tensor3D)).toThrow('LSTMModel.forward expects float32 [batch, time, 3], got rank 2 shape [2, 3].');
    x.dispose();
  });

  it('rejects input with another feature size', () => {
    const x = tf.zeros([2, 5, 4]) as tf.Tensor3D;

    expect(() => model.forward(x)).toThrow('got [2, 5, 4]: the last dimension must equal inputSize 3.');
    x.dispose();
  });

  it('rejects int32 input', () => {
    const x = tf.zeros([1, 2, 3], 'int32') as tf.Tensor3D;

    expect(() => model.forward(x)).toThrow("got dtype int32. Cast it with tf.cast(x, 'float32').");
    x.dispose();
  });

  it('rejects an empty sequence', () => {
    const x = tf.zeros([2, 0, 3]) as tf.Tensor3D;

    expect(() => model.forward(x)).toThrow('at least one sequence of at least one step, got shape [2, 0, 3].');
    x.dispose();
  });

  it('leaks no tensors in forward', () => {
    const x = tf.randomNormal([2, 4, 3]) as tf.Tensor3D;
    const before = tf.memory().numTensors;

    model.forward(x).dispose();

    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('passes the tfjs kernel leak check', () => {
    const x = tf.randomNormal([2, 3, 3]) as tf.Tensor3D;
    const previous = tf.env().getBool('IS_TEST');
    tf.env().set('IS_TEST', true);
    try {
      const { value, grads } = tf.variableGrads(() => tf.sum(model.forward(x)) as tf.Scalar, model.trainableVariables());
      tf.dispose([value, ...Object.values(grads)]);
    } finally {
      tf.env().set('IS_TEST', previous);
      x.dispose();
    }
  });

  it('unregisters its variables on dispose', () => {
    const extra = LSTMModel.create(TINY, { seed: 1 });
    const names = extra.trainableVariables().map((variable) => variable.name);
    extra.dispose();

    expect(names.some((name) => name in tf.engine().registeredVariables)).toBe(false);
    expect(extra.isDisposed).toBe(true);
  });

  it('rejects calls after dispose', () => {
    const extra = LSTMModel.create(TINY, { seed: 1 });
    extra.dispose();
    const x = tf.zeros([1, 1, 3]) as tf.Tensor3D;

    expect(() => extra.forward(x)).toThrow('Cannot call LSTMModel.forward: the model is disposed.');
    expect(() => extra.dispose()).not.toThrow();
    x.dispose();
  });

  it('restores the starting tensor count', () => {
    const extra = LSTMModel.create(TINY, { seed: 1 });
    const variableCount = extra.trainableVariables().length;
    extra.dispose();

    expect(tf.memory().numTensors).toBe(startTensors + model.trainableVariables().length);
    expect(variableCount).toBe(10);
  });
});

describe('LSTMModel state dict', () => {
  let model: LSTMModel;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = LSTMModel.create(TINY, { seed: 5 });
  });

  afterAll(() => {
    model.dispose();
  });

  it('returns PyTorch shapes', () => {
    const stateDict = model.stateDict();
    const shapes = Object.fromEntries([...stateDict].map(([name, tensor]) => [name, tensor.shape]));
    tf.dispose([...stateDict.values()]);

    expect(shapes['lstm.weight_ih_l0']).toEqual([16, 3]);
    expect(shapes['lstm.weight_hh_l1']).toEqual([16, 4]);
    expect(shapes['lstm.bias_ih_l1']).toEqual([16]);
    expect(shapes['fc.weight']).toEqual([5, 4]);
  });

  it('round-trips into another model', () => {
    const other = LSTMModel.create(TINY, { seed: 6 });
    const stateDict = model.stateDict();
    other.loadStateDict(stateDict);
    tf.dispose([...stateDict.values()]);

    const x = tf.randomNormal([2, 3, 3]) as tf.Tensor3D;
    const expected = model.forward(x);
    const actual = other.forward(x);

    expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([x, expected, actual]);
    other.dispose();
  });

  it('accepts a plain record', () => {
    const other = LSTMModel.create(TINY, { seed: 6 });
    const stateDict = Object.fromEntries(model.stateDict());
    other.loadStateDict(stateDict);
    tf.dispose(Object.values(stateDict));

    const roundTrip = other.stateDict();
    const original = model.stateDict();
    for (const [name, tensor] of original) {
      expect(Array.from(roundTrip.get(name)?.dataSync() ?? []), name).toEqual(Array.from(tensor.dataSync()));
    }
    tf.dispose([...roundTrip.values(), ...original.values()]);
    other.dispose();
  });

  it('returns copies the caller can dispose', () => {
    const stateDict = model.stateDict();
    tf.dispose([...stateDict.values()]);
    const x = tf.zeros([1, 1, 3]) as tf.Tensor3D;

    expect(() => model.forward(x).dispose()).not.toThrow();
    x.dispose();
  });

  it('lists missing and unexpected keys', () => {
    const stateDict = model.stateDict();
    const fcBias = stateDict.get('fc.bias') as tf.Tensor;
    stateDict.delete('fc.bias');
    stateDict.delete('lstm.bias_hh_l1');
    stateDict.set('fc.extra', fcBias);

    expect(() => model.loadStateDict(stateDict)).toThrow(
      new StateDictError('Cannot load state dict into LSTMModel: missing keys: lstm.bias_hh_l1, fc.bias; unexpected keys: fc.extra.'),
    );
    tf.dispose([...stateDict.values()]);
  });

  it('names the entry with the wrong shape', () => {
    const stateDict = model.stateDict();
    const wrong = tf.zeros([4, 16]);
    tf.dispose(stateDict.get('lstm.weight_hh_l0') as tf.Tensor);
    stateDict.set('lstm.weight_hh_l0', wrong);

    expect(() => model.loadStateDict(stateDict)).toThrow(
      'Size mismatch for lstm.weight_hh_l0: the state dict has shape [4, 16], the model (inputSize 3, hiddenSize 4, numLayers 2, numClasses 5) expects [16, 4].',
    );
    tf.dispose([...stateDict.values()]);
  });

  it('rejects int32 entries', () => {
    const stateDict = model.stateDict();
    tf.dispose(stateDict.get('fc.bias') as tf.Tensor);
    stateDict.set('fc.bias', tf.zeros([5], 'int32'));

    expect(() => model.loadStateDict(stateDict)).toThrow('Cannot load state dict entry fc.bias: expected dtype float32, got int32.');
    tf.dispose([...stateDict.values()]);
  });

  it('changes no variable when one entry is invalid', () => {
    const before = model.stateDict();
    const stateDict = new Map([...before].map(([name, tensor]) => [name, tf.zerosLike(tensor)]));
    tf.dispose(stateDict.get('fc.bias') as tf.Tensor);
    stateDict.set('fc.bias', tf.zeros([6]));

    expect(() => model.loadStateDict(stateDict)).toThrow(StateDictError);
    const after = model.stateDict();
    expect(Array.from(after.get('lstm.weight_ih_l0')?.dataSync() ?? [])).toEqual(Array.from(before.get('lstm.weight_ih_l0')?.dataSync() ?? []));
    tf.dispose([...before.values(), ...stateDict.values(), ...after.values()]);
  });

  it('leaks no tensors on a load', () => {
    const stateDict = model.stateDict();
    const before = tf.memory().numTensors;

    model.loadStateDict(stateDict);

    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...stateDict.values()]);
  });
});
