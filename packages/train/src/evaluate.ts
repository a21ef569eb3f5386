import * as tf from '@tensorflow/tfjs-core';

import type { BatchLike, ClassifierModel } from './types.js';

/** Classification accuracy over one pass of a loader. */
export interface EvaluationResult {
  /** `correct / total`, in [0, 1]. */
  accuracy: number;
  /** Examples whose highest logit is at their label. */
  correct: number;
  /** Examples evaluated. */
  total: number;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Stops after the current batch when aborted; `evaluate` then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Runs the model over one pass of `loader` and counts the examples whose arg-max logit equals the
 * label. Each batch is disposed once counted, and no tensors are left behind.
 *
 * @throws RangeError when the loader yields no examples.
 * @throws `signal.reason` when the signal is aborted.
 */
export async function evaluate(
  model: ClassifierModel,
  loader: AsyncIterable<BatchLike>,
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const { signal } = options;
  signal?.throwIfAborted();

  let correct = 0;
  let total = 0;
  for await (const batch of loader) {
    try {
      correct += await countCorrect(model, batch.images, batch.labels);
      total += batch.size;
    } finally {
      batch.dispose();
    }
    signal?.throwIfAborted();
  }

  if (total === 0) {
    throw new RangeError('evaluate: the loader yielded no examples, so accuracy is undefined.');
  }

  return { accuracy: correct / total, correct, total };
}

async function countCorrect(model: ClassifierModel, images: tf.Tensor3D, labels: tf.Tensor1D): Promise<number> {
  const correctTensor = tf.tidy(() => {
    const predictions = tf.argMax(model.forward(images), 1);
    const matches = tf.cast(tf.equal(predictions, tf.cast(labels, 'int32')), 'int32');

    return tf.sum(matches);
  });

  try {
    const [value] = await correctTensor.data();
    return value ?? 0;
  } finally {
    correctTensor.dispose();
  }
}
