import type { IdxArray } from './idx.js';
import { MNIST_NUM_CLASSES } from './mnist-files.js';

/** Fields of a {@link MnistDataset}. */
export interface MnistDatasetInit {
  /** uint8 pixels in [0, 255], shape `[length, rows, cols]`, row-major. */
  images: Uint8Array;
  /** One class index in [0, 9] per image. */
  labels: Uint8Array;
  /** Image height in pixels. */
  rows: number;
  /** Image width in pixels. */
  cols: number;
}

/**
 * Images and labels of one MNIST split, kept as the uint8 arrays of the IDX files.
 * A dataset never changes after construction; {@link subset} returns views that share its memory.
 */
export class MnistDataset {
  /** uint8 pixels in [0, 255], shape `[length, rows, cols]`, row-major. */
  readonly images: Uint8Array;
  /** Class index in [0, 9] of each image. */
  readonly labels: Uint8Array;
  /** Image height in pixels. */
  readonly rows: number;
  /** Image width in pixels. */
  readonly cols: number;

  /**
   * @throws RangeError when `rows` or `cols` is not a positive integer, `images.length` is not
   *   `labels.length * rows * cols`, or a label is outside [0, 9].
   */
  constructor(init: MnistDatasetInit) {
    const { images, labels, rows, cols } = init;
    for (const [field, value] of [['rows', rows], ['cols', cols]] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`Invalid MNIST dataset: ${field} must be a positive integer, got ${value}.`);
      }
    }

    if (images.length !== labels.length * rows * cols) {
      throw new RangeError(
        `Invalid MNIST dataset: ${labels.length} labels of ${rows}x${cols} images need ${labels.length * rows * cols} pixels, ` +
          `got ${images.length}.`,
      );
    }

    checkLabels(labels);
    this.images = images;
    this.labels = labels;
    this.rows = rows;
    this.cols = cols;
  }

  /**
   * Builds a dataset from parsed IDX files: images uint8 `[count, rows, cols]` and labels uint8 `[count]`.
   *
   * @throws RangeError when a dtype or rank is not the one above, the counts differ, or a label is
   *   outside [0, 9].
   */
  static fromIdx(images: IdxArray, labels: IdxArray): MnistDataset {
    if (images.dtype !== 'uint8' || images.shape.length !== 3) {
      throw new RangeError(
        `Invalid MNIST images: expected uint8 with shape [count, rows, cols], got ${images.dtype} with shape [${images.shape.join(', ')}].`,
      );
    }
    if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
      throw new RangeError(
        `Invalid MNIST labels: expected uint8 with shape [count], got ${labels.dtype} with shape [${labels.shape.join(', ')}].`,
      );
    }

    const [count = 0, rows = 0, cols = 0] = images.shape;
    if (count !== labels.shape[0]) {
      throw new RangeError(
        `Invalid MNIST files: the image file contains ${count} images but the label file contains ${labels.shape[0]} labels. ` +
          'Check that both files belong to the same split.',
      );
    }

    return new MnistDataset({ images: images.data, labels: labels.data, rows, cols });
  }

  /** Number of examples. */
  get length(): number {
    return this.labels.length;
  }

  /** Pixels of one image (`rows * cols` values), a view into {@link images}. */
  image(index: number): Uint8Array {
    this.checkIndex(index);
    const size = this.rows * this.cols;
    return this.images.subarray(index * size, (index + 1) * size);
  }

  /** Class index of one image. */
  label(index: number): number {
    this.checkIndex(index);
    return this.labels[index] ?? 0;
  }

  /**
   * Returns examples `start` to `end - 1` as a dataset that shares this one's memory.
   *
   * @throws RangeError unless `0 <= start <= end <= length` and both are integers.
   */
  subset(start: number, end: number): MnistDataset {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > this.length) {
      throw new RangeError(`Invalid subset [${start}, ${end}): expected integers with 0 <= start <= end <= ${this.length}.`);
    }

    const size = this.rows * this.cols;
    return new MnistDataset({
      images: this.images.subarray(start * size, end * size),
      labels: this.labels.subarray(start, end),
      rows: this.rows,
      cols: this.cols,
    });
  }

  /**
   * Returns the first `count` examples, or all of them when there are fewer.
   *
   * @throws RangeError when `count` is not a non-negative integer.
   */
  take(count: number): MnistDataset {
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`Invalid take count ${count}: expected a non-negative integer.`);
    }
    return this.subset(0, Math.min(count, this.length));
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`Invalid example index ${index}: expected an integer in [0, ${this.length - 1}].`);
    }
  }
}

function checkLabels(labels: Uint8Array): void {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] ?? 0;
    if (label >= MNIST_NUM_CLASSES) {
      throw new RangeError(`Invalid MNIST label ${label} at index ${i}: labels must be in [0, ${MNIST_NUM_CLASSES - 1}].`);
    }
  }
}
