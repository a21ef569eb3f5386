import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';

import { type LSTMModelConfig, parseSafetensors, type SafetensorsTensor, safetensorToTensor } from '../src/index.js';

const FIXTURE_DIR = fileURLToPath(new URL('./fixtures/torch-lstm-parity/', import.meta.url));

/** Reads one safetensors file of the PyTorch parity fixture. */
export function readFixture(name: 'model' | 'batch' | 'expected'): Map<string, SafetensorsTensor> {
  return parseSafetensors(readFileSync(`${FIXTURE_DIR}${name}.safetensors`));
}

/** Converts the fixture entries whose names start with `prefix` to tensors keyed by the rest of the name. */
export function fixtureTensors(entries: Map<string, SafetensorsTensor>, prefix = ''): Map<string, tf.Tensor> {
  const tensors = new Map<string, tf.Tensor>();
  for (const [name, entry] of entries) {
    if (name.startsWith(prefix)) {
      tensors.set(name.slice(prefix.length), safetensorToTensor(entry));
    }
  }
  return tensors;
}

/**
 * Mean cross-entropy of integer labels, as PyTorch's `nn.CrossEntropyLoss()`:
 * -mean(log_softmax(logits)[i, label_i]). The log-probabilities are picked with a
 * one-hot mask, because the gradient of `tf.gather` needs the UnsortedSegmentSum
 * kernel, which tfjs-backend-wasm 4.22 does not register. The mask is made as int32
 * and cast, because wasm's OneHot with dtype 'float32' returns the int32 bit patterns.
 */
export function meanCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logProbabilities = tf.logSoftmax(logits);
    const mask = tf.cast(tf.oneHot(labels, logits.shape[1]), 'float32');
    const picked = tf.sum(tf.mul(logProbabilities, mask), 1);
    return tf.neg(tf.mean(picked) as tf.Scalar);
  });
}

/** Picks `values[i, indices[i]]` with `tf.gather` on the flattened matrix; forward only, for checking values. */
export function gatherRows(values: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const [rows, cols] = values.shape;
    const flatIndices = tf.add(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(cols, 'int32')), indices);
    return tf.gather(tf.reshape(values, [-1]), flatIndices) as tf.Tensor1D;
  });
}

/** Largest |actual - expected| over all elements; the shapes must match. */
export function maxAbsDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) {
    throw new Error(`Length mismatch: ${actual.length} vs ${expected.length}`);
  }
  let max = 0;
  for (let i = 0; i < actual.length; i++) {
    max = Math.max(max, Math.abs((actual[i] as number) - (expected[i] as number)));
  }
  return max;
}

/** Largest |value| of an array. */
export function maxAbs(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    max = Math.max(max, Math.abs(values[i] as number));
  }
  return max;
}

/** Runs the recurrence of nn.LSTM + nn.Linear in float64 plain JavaScript from PyTorch-layout weights. */
export function referenceLogits(weights: Map<string, ArrayLike<number>>, sequence: number[][], config: LSTMModelConfig): number[] {
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  const H = config.hiddenSize;
  let inputs = sequence;
  for (let layer = 0; layer < config.numLayers; layer++) {
    const wIh = weights.get(`lstm.weight_ih_l${layer}`) as ArrayLike<number>;
    const wHh = weights.get(`lstm.weight_hh_l${layer}`) as ArrayLike<number>;
    const bIh = weights.get(`lstm.bias_ih_l${layer}`) as ArrayLike<number>;
    const bHh = weights.get(`lstm.bias_hh_l${layer}`) as ArrayLike<number>;
    const inSize = (inputs[0] as number[]).length;
    let h = new Array<number>(H).fill(0);
    let c = new Array<number>(H).fill(0);
    const outputs: number[][] = [];
    for (const x of inputs) {
      const z = Array.from({ length: 4 * H }, (_, row) => {
        let sum = (bIh[row] as number) + (bHh[row] as number);
        for (let k = 0; k < inSize; k++) sum += (wIh[row * inSize + k] as number) * (x[k] as number);
        for (let k = 0; k < H; k++) sum += (wHh[row * H + k] as number) * (h[k] as number);
        return sum;
      });
      const gate = (block: number, unit: number) => z[block * H + unit] as number;
      c = c.map((previous, u) => sigmoid(gate(1, u)) * previous + sigmoid(gate(0, u)) * Math.tanh(gate(2, u)));
      h = c.map((cell, u) => sigmoid(gate(3, u)) * Math.tanh(cell));
      outputs.push(h);
    }
    inputs = outputs;
  }
  const last = inputs[inputs.length - 1] as number[];
  const fcWeight = weights.get('fc.weight') as ArrayLike<number>;
  const fcBias = weights.get('fc.bias') as ArrayLike<number>;
  return Array.from({ length: config.numClasses }, (_, k) => {
    let sum = fcBias[k] as number;
    for (let u = 0; u < H; u++) sum += (fcWeight[k * H + u] as number) * (last[u] as number);
    return sum;
  });
}
