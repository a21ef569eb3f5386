import * as tf from '@tensorflow/tfjs-core';
import { DataLoader, MNIST_NUM_CLASSES, type MnistDataset } from '@lstm-mnist/data';
import type { ClassifierModel } from '@lstm-mnist/train';

import { EVAL_BATCH_SIZE, mnistTransform, yieldToBrowser } from './training-session.js';

/** Misclassified test digits kept for display; the rest are only counted. */
export const MAX_MISCLASSIFIED_SHOWN = 48;

/** A test image that the model got wrong. */
export interface Misclassified {
  /** Index in the test set. */
  index: number;
  predicted: number;
  label: number;
}

/** Outcome of {@link evaluateWithConfusion}. */
export interface ConfusionEvaluation {
  /** Fraction of test images classified correctly, in [0, 1]. */
  accuracy: number;
  correct: number;
  total: number;
  /** `matrix[label][predicted]` counts, 10 x 10. */
  matrix: number[][];
  /** The first {@link MAX_MISCLASSIFIED_SHOWN} misclassified images in test-set order. */
  misclassified: Misclassified[];
}

/** Creates an empty `classes` x `classes` confusion matrix (10 x 10 by default). */
export function emptyConfusionMatrix(classes = MNIST_NUM_CLASSES): number[][] {
  return Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
}

/**
 * Adds one batch of predictions to the matrix and the misclassified list.
 *
 * @param firstIndex test-set index of the batch's first image.
 */
export function accumulatePredictions(
  result: ConfusionEvaluation,
  predicted: ArrayLike<number>,
  labels: ArrayLike<number>,
  firstIndex: number,
): void {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] ?? 0;
    const guess = predicted[i] ?? 0;
    const row = result.matrix[label];
    if (row !== undefined) row[guess] = (row[guess] ?? 0) + 1;

    result.total += 1;
    if (guess === label) result.correct += 1;
    else if (result.misclassified.length < MAX_MISCLASSIFIED_SHOWN) {
      result.misclassified.push({ index: firstIndex + i, predicted: guess, label });
    }
  }
  result.accuracy = result.total === 0 ? 0 : result.correct / result.total;
}

/**
 * Classifies every test image and returns the accuracy, the confusion matrix and the first
 * misclassified images. It yields to the browser between batches and leaves no tensors behind.
 */
export async function evaluateWithConfusion(
  model: ClassifierModel,
  test: MnistDataset,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<ConfusionEvaluation> {
  const result: ConfusionEvaluation = { accuracy: 0, correct: 0, total: 0, matrix: emptyConfusionMatrix(), misclassified: [] };
  const loader = new DataLoader(test, { batchSize: EVAL_BATCH_SIZE, transform: mnistTransform() });

  for await (const batch of loader) {
    try {
      const predictedTensor = tf.tidy(() => tf.argMax(model.forward(batch.images), 1));
      const predicted = await predictedTensor.data();
      predictedTensor.dispose();
      const labels = await batch.labels.data();
      accumulatePredictions(result, predicted, labels, result.total);
    } finally {
      batch.dispose();
    }
    onProgress(result.total, test.length);
    await yieldToBrowser();
  }
  return result;
}
