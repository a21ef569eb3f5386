import * as tf from '@tensorflow/tfjs-core';

import type { BatchLike, BatchLoader, TrainableModel } from '../../src/index.js';

/** One example: an image as `rows` arrays of `cols` numbers, and its class. */
export interface Example {
  image: number[][];
  label: number;
}

/** Fake clock in milliseconds that only moves when a test advances it. */
export class ManualClock {
  time = 0;

  readonly now = (): number => this.time;
}

/**
 * Loader over a fixed list of examples that counts the batches it creates and disposes.
 * `length` can be set apart from the real batch count to test loaders that report a wrong length.
 */
export class ExampleLoader implements BatchLoader {
  created = 0;
  disposed = 0;
  readonly epochsSet: number[] = [];
  readonly length: number;

  constructor(
    private readonly examples: Example[],
    private readonly batchSize: number,
    length?: number,
  ) {
    this.length = length ?? Math.ceil(examples.length / batchSize);
  }

  setEpoch(epoch: number): void {
    this.epochsSet.push(epoch);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<BatchLike> {
    for (let start = 0; start < this.examples.length; start += this.batchSize) {
      yield this.makeBatch(this.examples.slice(start, start + this.batchSize));
    }
  }

  private makeBatch(examples: Example[]): BatchLike {
    const images = tf.tensor3d(examples.map((example) => example.image));
    const labels = tf.tensor1d(examples.map((example) => example.label), 'int32');
    this.created += 1;

    return {
      images,
      labels,
      size: examples.length,
      dispose: () => {
        this.disposed += 1;
        tf.dispose([images, labels]);
      },
    };
  }
}

/**
 * Softmax regression on the flattened image: logits = flatten(x) W + b. Each forward call moves
 * the optional clock by `millisecondsPerForward`, so timing fields are exact in tests.
 */
export class LinearModel implements TrainableModel {
  readonly weights: tf.Variable;
  readonly bias: tf.Variable;
  forwardCalls = 0;

  constructor(
    inputSize: number,
    numClasses: number,
    private readonly clock?: ManualClock,
    private readonly millisecondsPerForward = 5,
  ) {
    this.weights = tf.variable(tf.zeros([inputSize, numClasses]));
    this.bias = tf.variable(tf.zeros([numClasses]));
  }

  forward(x: tf.Tensor3D): tf.Tensor2D {
    this.forwardCalls += 1;
    if (this.clock !== undefined) {
      this.clock.time += this.millisecondsPerForward;
    }

    return tf.tidy(() => {
      const [batch, rows, cols] = x.shape;
      const flat = tf.reshape(x, [batch, rows * cols]);
      return tf.add(tf.matMul(flat, this.weights), this.bias) as tf.Tensor2D;
    });
  }

  trainableVariables(): tf.Variable[] {
    return [this.weights, this.bias];
  }

  dispose(): void {
    tf.dispose([this.weights, this.bias]);
  }
}

/**
 * Two separable classes of 2x2 images: class 1 has positive pixels and class 0 negative ones,
 * scaled by a fixed pattern so examples differ.
 */
export function makeSeparableExamples(count: number): Example[] {
  return Array.from({ length: count }, (_, index) => {
    const label = index % 2;
    const sign = label === 1 ? 1 : -1;
    const scale = 0.5 + (index % 5) / 10;
    return {
      image: [
        [sign * scale, sign * 0.5],
        [sign * 0.25, sign * scale],
      ],
      label,
    };
  });
}
