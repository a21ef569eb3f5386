import type * as tf from '@tensorflow/tfjs-core';

/** A classifier that maps a batch of sequences to class logits; `LSTMModel` from `@lstm-mnist/model` is one. */
export interface ClassifierModel {
  /** Maps float32 `[batch, time, features]` to float32 logits `[batch, numClasses]`. */
  forward(x: tf.Tensor3D): tf.Tensor2D;
}

/** A classifier with trainable parameters. */
export interface TrainableModel extends ClassifierModel {
  /** The parameters to train, in a fixed order. */
  trainableVariables(): tf.Variable[];
}

/** One batch as a loader yields it; `Batch` from `@lstm-mnist/data` is one. */
export interface BatchLike {
  /** float32 `[batch, rows, cols]`: each image is a sequence of `rows` steps with `cols` features. */
  images: tf.Tensor3D;
  /** int32 `[batch]` class indices. */
  labels: tf.Tensor1D;
  /** Number of examples in the batch. */
  size: number;
  /** Frees the batch's tensors. The code that iterates the loader calls it. */
  dispose(): void;
}

/**
 * An iterable of batches where each iteration is one epoch, such as `DataLoader` from `@lstm-mnist/data`.
 * The consumer owns every batch it receives and disposes it.
 */
export interface BatchLoader extends AsyncIterable<BatchLike> {
  /** Batches in one epoch. */
  readonly length: number;
  /**
   * Sets the 0-based epoch index that seeds the next iteration's shuffle, when the loader shuffles,
   * and the 0-based batch the next iteration starts at (default 0). The trainer passes `startBatch`
   * only to resume mid-epoch; the batches before it must be skipped without being built.
   */
  setEpoch?(epoch: number, startBatch?: number): void;
}

/** An optimizer that applies gradients given in the order of its variables; {@link Adam} is one. */
export interface Optimizer {
  readonly variables: readonly tf.Variable[];
  step(gradients: readonly tf.Tensor[]): void;
  dispose(): void;
}
