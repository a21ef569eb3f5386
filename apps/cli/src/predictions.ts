import * as tf from '@tensorflow/tfjs-core';

import { MNIST_MEAN, MNIST_STD } from '@lstm-mnist/data';
import type { LSTMModel } from '@lstm-mnist/model';

/** Class probabilities of a batch: `probabilities[i * numClasses + c]` is image i's softmax for class c. */
export interface BatchPrediction {
  classes: Int32Array;
  probabilities: Float32Array;
}

/**
 * Classifies MNIST-style images with the input pipeline of training: uint8 pixels with bright ink on a
 * dark background, normalised with (x / 255 - MNIST_MEAN) / MNIST_STD and read row by row.
 *
 * @param pixels uint8 `[count, rows, cols]` row-major.
 */
export async function predictImages(model: LSTMModel, pixels: Uint8Array, count: number, rows: number, cols: number): Promise<BatchPrediction> {
  const [classesTensor, probabilitiesTensor] = tf.tidy(() => {
    const images = tf.div(tf.sub(tf.div(tf.tensor3d(pixels, [count, rows, cols], 'float32'), 255), MNIST_MEAN), MNIST_STD);
    const logits = model.forward(images as tf.Tensor3D);
    return [tf.argMax(logits, 1), tf.softmax(logits)];
  });
  try {
    return { classes: (await classesTensor.data()) as Int32Array, probabilities: (await probabilitiesTensor.data()) as Float32Array };
  } finally {
    tf.dispose([classesTensor, probabilitiesTensor]);
  }
}
