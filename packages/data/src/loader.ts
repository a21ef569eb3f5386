import * as tf from '@tensorflow/tfjs-core';

import type { MnistDataset } from './dataset.js';
import { createRandom, epochSeed, MAX_SEED, permutation, randomSeed } from './random.js';
import { ToTensor, type Transform } from './transforms.js';

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions {
  /** Examples per batch; a positive integer. */
  batchSize: number;
  /** Visits the examples in a new random order each epoch. Default: false. */
  shuffle?: boolean;
  /**
   * Seed of the shuffle, an integer in [0, 2^32 - 1]. With the same seed and epoch index the order
   * repeats exactly. Default: drawn from `Math.random` when `shuffle` is true, and readable as {@link DataLoader.seed}.
   */
  seed?: number;
  /** Skips the last batch when it is smaller than `batchSize`. Default: false. */
  dropLast?: boolean;
  /**
   * Applied to each batch of pixels, given as int32 `[batch, rows, cols]` with values in [0, 255].
   * It must keep the batch dimension and the rank. Default: `new ToTensor()`, which scales to [0, 1].
   */
  transform?: Transform;
}

/**
 * One batch of examples. The caller that receives it owns its tensors and must call {@link dispose}
 * when done with it, also when leaving the loop early.
 */
export interface Batch {
  /** float32 `[size, rows, cols]`: the transformed images. */
  images: tf.Tensor3D;
  /** int32 `[size]`: class indices in [0, 9]. */
  labels: tf.Tensor1D;
  /** Number of examples in this batch; `batchSize` except possibly for the last batch. */
  size: number;
  /** 0-based position of the batch in its epoch. */
  index: number;
  /** 0-based epoch index that produced the batch's order. */
  epoch: number;
  /** Dataset indices of the examples, in batch order. */
  indices: Int32Array;
  /** Disposes `images` and `labels`; calling it again has no effect. */
  dispose(): void;
}

/**
 * Splits a dataset into batches of tensors, like PyTorch's `DataLoader`.
 *
 * Each `for await` loop over the loader is one epoch. With `shuffle`, an epoch's order is a
 * permutation derived from the seed and the epoch index, which starts at 0 and goes up by one when
 * each loop starts, whether or not the loop runs to the end. `setEpoch` sets the index for the next
 * loop, so a resumed run can repeat the order of the epoch it resumes, and its `startBatch` skips
 * the batches that run already trained on without building them.
 *
 * Batches are built one at a time, when the loop requests the next one. The loop body owns each batch it
 * receives and disposes it; the loader keeps no tensors, so nothing leaks when a loop stops early.
 */
export class DataLoader implements AsyncIterable<Batch> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly transform: Transform;
  private readonly shuffleSeed: number | undefined;
  private nextEpoch = 0;
  private nextStartBatch = 0;

  /**
   * @throws RangeError when `batchSize` is not a positive integer or `seed` is not an integer in [0, 2^32 - 1].
   */
  constructor(
    readonly dataset: MnistDataset,
    options: DataLoaderOptions,
  ) {
    const { batchSize, shuffle = false, seed, dropLast = false, transform = new ToTensor() } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`Invalid batchSize ${batchSize}: expected a positive integer.`);
    }
    if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED)) {
      throw new RangeError(`Invalid seed ${seed}: expected an integer in [0, ${MAX_SEED}].`);
    }

    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.transform = transform;
    this.shuffleSeed = seed ?? (shuffle ? randomSeed() : undefined);
  }

  /** Seed of the shuffle: the one given, or the one drawn when shuffling without a seed; else undefined. */
  get seed(): number | undefined {
    return this.shuffleSeed;
  }

  /** Batches per epoch: `ceil(length / batchSize)`, or `floor(length / batchSize)` with `dropLast`. */
  get length(): number {
    const whole = Math.floor(this.dataset.length / this.batchSize);
    return this.dropLast || this.dataset.length % this.batchSize === 0 ? whole : whole + 1;
  }

  /** Epoch index that the next loop will use. */
  get epoch(): number {
    return this.nextEpoch;
  }

  /**
   * Sets the 0-based epoch index of the next loop, and the 0-based batch it starts at. The order is
   * the epoch's full order, so batch k is the same batch with any `startBatch` up to k. Only the
   * next loop starts late; later loops start at batch 0.
   *
   * @param startBatch batches to skip, in [0, {@link length}]; `length` makes the loop yield nothing. Default 0.
   * @throws RangeError when `epoch` is not a non-negative integer or `startBatch` is out of range.
   */
  setEpoch(epoch: number, startBatch = 0): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      throw new RangeError(`Invalid epoch ${epoch}: expected a non-negative integer.`);
    }
    if (!Number.isInteger(startBatch) || startBatch < 0 || startBatch > this.length) {
      throw new RangeError(`Invalid startBatch ${startBatch}: expected an integer from 0 to ${this.length}, the batches per epoch.`);
    }
    this.nextEpoch = epoch;
    this.nextStartBatch = startBatch;
  }

  /**
   * Returns the example order of an epoch: a permutation when shuffling, else `0 .. length - 1`.
   * It does not change the loader's epoch index.
   */
  order(epoch: number): Int32Array {
    if (this.shuffleSeed === undefined || !this.shuffle) {
      return Int32Array.from({ length: this.dataset.length }, (_, i) => i);
    }
    return permutation(this.dataset.length, createRandom(epochSeed(this.shuffleSeed, epoch)));
  }

  /** Yields the batches of one epoch; see the class description for ownership. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Batch, void, undefined> {
    const epoch = this.nextEpoch;
    const startBatch = this.nextStartBatch;
    this.nextEpoch += 1;
    this.nextStartBatch = 0;
    const order = this.order(epoch);

    for (let index = startBatch; index < this.length; index++) {
      const indices = order.subarray(index * this.batchSize, (index + 1) * this.batchSize);
      yield this.makeBatch(indices, index, epoch);
    }
  }

  private makeBatch(indices: Int32Array, index: number, epoch: number): Batch {
    const { rows, cols } = this.dataset;
    const pixels = gatherPixels(this.dataset, indices);
    const labelValues = Int32Array.from(indices, (example) => this.dataset.labels[example] ?? 0);

    const { images, labels } = tf.tidy(() => {
      const raw = tf.tensor3d(pixels, [indices.length, rows, cols], 'int32');
      return { images: this.applyTransform(raw), labels: tf.tensor1d(labelValues, 'int32') };
    });

    return {
      images,
      labels,
      size: indices.length,
      index,
      epoch,
      indices: Int32Array.from(indices),
      dispose: () => {
        images.dispose();
        labels.dispose();
      },
    };
  }

  private applyTransform(raw: tf.Tensor3D): tf.Tensor3D {
    const result = this.transform.apply(raw);
    if (result.rank !== 3 || result.shape[0] !== raw.shape[0]) {
      throw new RangeError(
        `Transform ${this.transform.toString()} returned shape [${result.shape.join(', ')}], ` +
          `but a batch needs rank 3 with ${raw.shape[0]} examples first.`,
      );
    }
    return (result.dtype === 'float32' ? result : tf.cast(result, 'float32')) as tf.Tensor3D;
  }
}

function gatherPixels(dataset: MnistDataset, indices: Int32Array): Int32Array {
  const size = dataset.rows * dataset.cols;
  const pixels = new Int32Array(indices.length * size);
  indices.forEach((example, position) => {
    pixels.set(dataset.images.subarray(example * size, (example + 1) * size), position * size);
  });
  return pixels;
}
