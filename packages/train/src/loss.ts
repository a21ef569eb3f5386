import * as tf from '@tensorflow/tfjs-core';

/**
 * Computes the mean cross-entropy between class logits and integer labels, like PyTorch's
 * `nn.CrossEntropyLoss()` with its defaults: log-softmax over the classes, then the negative
 * log-probability of each row's label, averaged over the batch.
 *
 * @param logits float32 `[batch, numClasses]`, unnormalised scores (no softmax applied).
 * @param labels int32 `[batch]`, class indices in `0..numClasses-1`.
 * @returns a float32 scalar. The caller disposes it (or calls this inside `tf.tidy`).
 * @throws TypeError when a rank or dtype is wrong, RangeError when the batch sizes differ or are 0.
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  validateLossInputs(logits, labels);

  // NOTE: labels outside 0..numClasses-1 are not checked here, because that needs a read from the
  // device every step. Such a row gets an all-zero one-hot vector and adds 0 to the sum.
  // MnistDataset.fromIdx rejects labels outside 0..9 when the data is loaded.
  return tf.tidy(() => {
    const numClasses = logits.shape[1];
    const logProbabilities = tf.logSoftmax(logits, 1);
    // tf.oneHot returns int32, so the explicit cast keeps the multiply in float32 on every backend.
    const targets = tf.cast(tf.oneHot(labels, numClasses), 'float32');
    const labelLogProbabilities = tf.sum(tf.mul(logProbabilities, targets), 1);

    return tf.neg(tf.mean(labelLogProbabilities)) as tf.Scalar;
  });
}

function validateLossInputs(logits: tf.Tensor, labels: tf.Tensor): void {
  if (logits.rank !== 2) {
    throw new TypeError(
      `crossEntropy: logits must have rank 2 [batch, numClasses], got shape [${logits.shape.join(', ')}].`,
    );
  }
  if (labels.rank !== 1) {
    throw new TypeError(`crossEntropy: labels must have rank 1 [batch], got shape [${labels.shape.join(', ')}].`);
  }
  if (logits.dtype !== 'float32') {
    throw new TypeError(`crossEntropy: logits must be float32, got ${logits.dtype}.`);
  }
  if (labels.dtype !== 'int32') {
    throw new TypeError(
      `crossEntropy: labels must be int32 class indices, got ${labels.dtype}. Convert them with tf.cast(labels, 'int32').`,
    );
  }

  const [batchSize, numClasses] = logits.shape as [number, number];
  if (labels.shape[0] !== batchSize) {
    throw new RangeError(
      `crossEntropy: logits have ${batchSize} rows but labels have ${labels.shape[0]} entries, but they must match.`,
    );
  }
  if (batchSize === 0) {
    throw new RangeError('crossEntropy: the batch is empty, so the mean loss is undefined.');
  }
  if (numClasses === 0) {
    throw new RangeError('crossEntropy: logits have 0 classes, expected at least 1.');
  }
}
