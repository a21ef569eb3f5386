import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { MnistDataset } from '@lstm-mnist/data';
import { beforeAll, describe, expect, test } from 'vitest';

import { accumulatePredictions, type ConfusionEvaluation, emptyConfusionMatrix, evaluateWithConfusion, MAX_MISCLASSIFIED_SHOWN } from '../src/evaluation.js';

function emptyResult(): ConfusionEvaluation {
  return { accuracy: 0, correct: 0, total: 0, matrix: emptyConfusionMatrix(), misclassified: [] };
}

describe('accumulatePredictions', () => {
  test('counts rows by label and columns by prediction', () => {
    const result = emptyResult();
    accumulatePredictions(result, [3, 5, 5], [3, 3, 5], 0);

    expect(result.matrix[3]?.[3]).toBe(1);
    expect(result.matrix[3]?.[5]).toBe(1);
    expect(result.matrix[5]?.[5]).toBe(1);
    expect(result.accuracy).toBeCloseTo(2 / 3, 10);
  });

  test('records misclassified test-set indices', () => {
    const result = emptyResult();
    accumulatePredictions(result, [0, 1], [0, 0], 1000);

    expect(result.misclassified).toEqual([{ index: 1001, predicted: 1, label: 0 }]);
  });

  test('keeps at most the shown number of misclassified digits', () => {
    const result = emptyResult();
    const count = MAX_MISCLASSIFIED_SHOWN + 5;
    accumulatePredictions(result, new Array(count).fill(1), new Array(count).fill(0), 0);

    expect(result.misclassified).toHaveLength(MAX_MISCLASSIFIED_SHOWN);
    expect(result.total).toBe(count);
  });
});

describe('evaluateWithConfusion', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    globalThis.MessageChannel ??= (await import('node:worker_threads')).MessageChannel as unknown as typeof MessageChannel;
  });

  test('matches a model that always predicts class 7', async () => {
    const labels = new Uint8Array([7, 1, 7, 2]);
    const test = new MnistDataset({ images: new Uint8Array(4 * 28 * 28), labels, rows: 28, cols: 28 });
    const alwaysSeven = { forward: (x: tf.Tensor3D) => tf.tidy(() => tf.cast(tf.oneHot(tf.fill([x.shape[0]], 7, 'int32'), 10), 'float32') as tf.Tensor2D) };
    const start = tf.memory().numTensors;

    const result = await evaluateWithConfusion(alwaysSeven, test);

    expect(result.correct).toBe(2);
    expect(result.matrix[1]?.[7]).toBe(1);
    expect(result.misclassified.map((item) => item.index)).toEqual([1, 3]);
    expect(tf.memory().numTensors).toBe(start);
  });
});
