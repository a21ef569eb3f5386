import * as tf from '@tensorflow/tfjs-core';

import { MNIST_MEAN, MNIST_STD } from './mnist-files.js';

/**
 * A batch-wise image transform on tensors of shape `[..., rows, cols]`.
 *
 * `apply` never disposes its input and always returns a new tensor, which the caller owns.
 * `toString` describes the transform with its parameters, so a pipeline can be logged.
 */
export interface Transform {
  apply(x: tf.Tensor): tf.Tensor;
  toString(): string;
}

/** Largest value of a uint8 pixel. */
export const PIXEL_MAX = 255;

/**
 * Scales uint8-range pixels to float32 in [0, 1] by dividing by 255, like torchvision's `ToTensor`
 * on a uint8 image. The input may be int32 or float32 holding values in [0, 255]; the shape is kept.
 */
export class ToTensor implements Transform {
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.div(tf.cast(x, 'float32'), PIXEL_MAX));
  }

  toString(): string {
    return 'ToTensor()';
  }
}

/**
 * Standardizes values: `(x - mean) / std`, elementwise, float32 out, shape kept. The defaults are the
 * MNIST training set's pixel statistics on the [0, 1] scale, so apply {@link ToTensor} first.
 */
export class Normalize implements Transform {
  /**
   * @param mean subtracted from every value. Default: {@link MNIST_MEAN}.
   * @param std divides every value after the subtraction. Default: {@link MNIST_STD}.
   * @throws RangeError when `mean` is not finite or `std` is not a finite positive number.
   */
  constructor(
    readonly mean: number = MNIST_MEAN,
    readonly std: number = MNIST_STD,
  ) {
    if (!Number.isFinite(mean)) {
      throw new RangeError(`Invalid Normalize mean ${mean}: expected a finite number.`);
    }
    if (!Number.isFinite(std) || std <= 0) {
      throw new RangeError(`Invalid Normalize std ${std}: expected a finite number greater than 0.`);
    }
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.div(tf.sub(tf.cast(x, 'float32'), this.mean), this.std));
  }

  toString(): string {
    return `Normalize(mean=${this.mean}, std=${this.std})`;
  }
}

/** Applies transforms in order; intermediate tensors are disposed. An empty list returns a copy of the input. */
export class Compose implements Transform {
  readonly transforms: readonly Transform[];

  constructor(transforms: readonly Transform[]) {
    this.transforms = [...transforms];
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.transforms.reduce<tf.Tensor>((current, transform) => transform.apply(current), tf.clone(x)));
  }

  /** Lists the transforms one per line, indented, like torchvision's `Compose`. */
  toString(): string {
    const lines = this.transforms.map((transform) => `    ${transform.toString()}`);
    return ['Compose(', ...lines, ')'].join('\n');
  }
}
