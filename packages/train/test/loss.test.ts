import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { crossEntropy } from '../src/index.js';
import { fixtureTensor, getStored, maxAbsoluteDifference, readFixture } from './helpers/fixture.js';
import { useBackend } from './helpers/backend.js';

beforeAll(async () => {
  await useBackend('cpu');
});

/** Mean cross-entropy in float64, the reference for small hand-made cases. */
function referenceCrossEntropy(logits: number[][], labels: number[]): number {
  let sum = 0;
  logits.forEach((row, index) => {
    const max = Math.max(...row);
    const logSumExp = max + Math.log(row.reduce((total, value) => total + Math.exp(value - max), 0));
    sum += logSumExp - (row[labels[index] as number] as number);
  });

  return sum / logits.length;
}

describe.each(['cpu', 'wasm'] as const)('crossEntropy on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('matches the PyTorch fixture loss', async () => {
    const expected = readFixture('expected');
    const batch = readFixture('batch');
    const logits = fixtureTensor(expected, 'logits') as tf.Tensor2D;
    const labels = fixtureTensor(batch, 'labels') as tf.Tensor1D;

    const loss = crossEntropy(logits, labels);
    const [actual] = await loss.data();
    const expectedLoss = getStored(expected, 'loss').data[0] as number;

    expect(Math.abs((actual as number) - expectedLoss) / expectedLoss).toBeLessThan(1e-5);
    tf.dispose([logits, labels, loss]);
  });

  it('matches a float64 reference on hand-made logits', async () => {
    const rows = [
      [2, 1, 0.1],
      [0.5, 2.5, -1],
      [-3, 0, 3],
      [1000, 0, -1000],
    ];
    const targets = [0, 2, 2, 1];
    const logits = tf.tensor2d(rows);
    const labels = tf.tensor1d(targets, 'int32');

    const loss = crossEntropy(logits, labels);
    const [actual] = await loss.data();

    expect(actual).toBeCloseTo(referenceCrossEntropy(rows, targets), 4);
    tf.dispose([logits, labels, loss]);
  });

  it('stays finite for very large logits', async () => {
    const logits = tf.tensor2d([[1e4, -1e4]]);
    const labels = tf.tensor1d([1], 'int32');

    const loss = crossEntropy(logits, labels);
    const [actual] = await loss.data();

    expect(actual).toBeCloseTo(2e4, 0);
    tf.dispose([logits, labels, loss]);
  });

  it('has gradient (softmax - one-hot) / batch', async () => {
    const expected = readFixture('expected');
    const batch = readFixture('batch');
    const logits = fixtureTensor(expected, 'logits') as tf.Tensor2D;
    const labels = fixtureTensor(batch, 'labels') as tf.Tensor1D;
    const [batchSize, numClasses] = logits.shape;
    const logitValues = Array.from(getStored(expected, 'logits').data);
    const labelValues = Array.from(getStored(batch, 'labels').data);

    const gradient = tf.grad((x: tf.Tensor) => crossEntropy(x as tf.Tensor2D, labels))(logits);
    const actual = await gradient.data();

    const reference = new Float64Array(batchSize * numClasses);
    for (let row = 0; row < batchSize; row++) {
      const values = logitValues.slice(row * numClasses, (row + 1) * numClasses);
      const max = Math.max(...values);
      const expSum = values.reduce((total, value) => total + Math.exp(value - max), 0);
      values.forEach((value, column) => {
        const target = labelValues[row] === column ? 1 : 0;
        reference[row * numClasses + column] = (Math.exp(value - max) / expSum - target) / batchSize;
      });
    }
    expect(maxAbsoluteDifference(actual, reference).value).toBeLessThan(1e-6);
    tf.dispose([logits, labels, gradient]);
  });

  it('leaves no tensors behind but the loss', () => {
    const logits = tf.tensor2d([[1, 2, 3]]);
    const labels = tf.tensor1d([2], 'int32');
    const before = tf.memory().numTensors;

    const loss = crossEntropy(logits, labels);

    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([logits, labels, loss]);
  });
});

describe('crossEntropy input checks', () => {
  it('rejects float labels', () => {
    const logits = tf.tensor2d([[1, 2]]);
    const labels = tf.tensor1d([1], 'float32');

    expect(() => crossEntropy(logits, labels)).toThrow(/labels must be int32 class indices, got float32/);
    tf.dispose([logits, labels]);
  });

  it('rejects logits of rank 3', () => {
    const logits = tf.zeros([1, 2, 3]) as unknown as tf.Tensor2D;
    const labels = tf.tensor1d([1], 'int32');

    expect(() => crossEntropy(logits, labels)).toThrow(/logits must have rank 2 \[batch, numClasses\], got shape \[1, 2, 3\]/);
    tf.dispose([logits, labels]);
  });

  it('rejects labels of rank 2', () => {
    const logits = tf.tensor2d([[1, 2]]);
    const labels = tf.tensor2d([[1]], [1, 1], 'int32') as unknown as tf.Tensor1D;

    expect(() => crossEntropy(logits, labels)).toThrow(/labels must have rank 1 \[batch\], got shape \[1, 1\]/);
    tf.dispose([logits, labels]);
  });

  it('rejects a batch size mismatch', () => {
    const logits = tf.tensor2d([[1, 2], [3, 4]]);
    const labels = tf.tensor1d([1, 0, 1], 'int32');

    expect(() => crossEntropy(logits, labels)).toThrow(/logits have 2 rows but labels have 3 entries/);
    tf.dispose([logits, labels]);
  });

  it('rejects an empty batch', () => {
    const logits = tf.zeros([0, 10]) as tf.Tensor2D;
    const labels = tf.zeros([0], 'int32') as tf.Tensor1D;

    expect(() => crossEntropy(logits, labels)).toThrow(/the batch is empty/);
    tf.dispose([logits, labels]);
  });
});
