import * as tf from '@tensorflow/tfjs-core';

import { splitRowBlocks } from './split-rows.js';

/** Activations of one LSTM step, each `[batch, H]`, kept from the forward pass for backpropagation. */
export interface LSTMStepTensors {
  /** i = sigmoid(z_i). */
  inputGate: tf.Tensor2D;
  /** f = sigmoid(z_f). */
  forgetGate: tf.Tensor2D;
  /** g = tanh(z_g). */
  candidate: tf.Tensor2D;
  /** o = sigmoid(z_o). */
  outputGate: tf.Tensor2D;
  /** c_t = f * c_{t-1} + i * g. */
  cell: tf.Tensor2D;
  /** tanh(c_t). */
  cellTanh: tf.Tensor2D;
  /** h_t = o * tanh(c_t). */
  hidden: tf.Tensor2D;
}

/** Forward-pass tensors that backpropagation through one LSTM layer reads. */
export interface LSTMBackwardContext {
  /** Time-major input rows `[time * batch, in]`. */
  input: tf.Tensor2D;
  /** `[in, 4H]`. */
  kernel: tf.Tensor2D;
  /** `[H, 4H]`. */
  recurrentKernel: tf.Tensor2D;
  steps: readonly LSTMStepTensors[];
  /** Whether the layer's output was every hidden state `[time * batch, H]` or only the last `[batch, H]`. */
  returnSequences: boolean;
}

/**
 * Backpropagates through time for one LSTM layer that started from zero states.
 *
 * @param outputGradient gradient of the layer output: `[time * batch, H]` with
 *   `returnSequences`, else `[batch, H]` for the last hidden state.
 * @returns gradients of input `[time * batch, in]`, kernel, recurrent kernel, `bias_ih` and `bias_hh`,
 *   in that order. Both biases enter the gates as a sum, so their gradients are equal.
 */
export function lstmLayerBackward(outputGradient: tf.Tensor2D, context: LSTMBackwardContext): tf.Tensor[] {
  const { steps, recurrentKernel } = context;
  const time = steps.length;
  const recurrentKernelTransposed = tf.transpose(recurrentKernel);
  const perStepOutputGradients = context.returnSequences ? splitRowBlocks(outputGradient, time) : undefined;

  const gateGradients: tf.Tensor2D[] = new Array(time);
  let hiddenGradient: tf.Tensor2D | undefined = context.returnSequences ? undefined : outputGradient;
  let cellGradient: tf.Tensor2D | undefined;
  for (let t = time - 1; t >= 0; t--) {
    const fromOutput = perStepOutputGradients?.[t];
    const totalHiddenGradient = sumDefined(hiddenGradient, fromOutput);
    const step = stepBackward(totalHiddenGradient, cellGradient, steps[t] as LSTMStepTensors, steps[t - 1]?.cell);

    gateGradients[t] = step.gateGradient;
    cellGradient = step.previousCellGradient;
    hiddenGradient = t > 0 ? tf.matMul<tf.Tensor2D>(step.gateGradient, recurrentKernelTransposed) : undefined;
  }

  return weightGradients(gateGradients, context);
}

/**
 * Gradients of one step's gate pre-activations `[batch, 4H]` (blocks i, f, g, o) and of the
 * previous cell state, from the gradients of this step's hidden and cell state.
 */
function stepBackward(
  hiddenGradient: tf.Tensor2D,
  laterCellGradient: tf.Tensor2D | undefined,
  step: LSTMStepTensors,
  previousCell: tf.Tensor2D | undefined,
): { gateGradient: tf.Tensor2D; previousCellGradient: tf.Tensor2D | undefined } {
  const { inputGate, forgetGate, candidate, outputGate, cellTanh } = step;

  // h = o * tanh(c): dz_o = dh * tanh(c) * o * (1 - o), and dc gains dh * o * (1 - tanh(c)^2).
  const outputGradient = tf.mul(tf.mul(hiddenGradient, cellTanh), sigmoidDerivative(outputGate));
  const fromHidden = tf.mul(tf.mul(hiddenGradient, outputGate), tanhDerivative(cellTanh));
  const cellGradient = laterCellGradient === undefined ? fromHidden : tf.add(fromHidden, laterCellGradient);

  // c = f * c_prev + i * g.
  const inputGradient = tf.mul(tf.mul(cellGradient, candidate), sigmoidDerivative(inputGate));
  const candidateGradient = tf.mul(tf.mul(cellGradient, inputGate), tanhDerivative(candidate));
  const forgetGradient =
    previousCell === undefined ? tf.zerosLike(cellGradient) : tf.mul(tf.mul(cellGradient, previousCell), sigmoidDerivative(forgetGate));

  return {
    gateGradient: tf.concat([inputGradient, forgetGradient, candidateGradient, outputGradient], 1) as tf.Tensor2D,
    previousCellGradient: previousCell === undefined ? undefined : (tf.mul(cellGradient, forgetGate) as tf.Tensor2D),
  };
}

/** Computes the input, weight and bias gradients from the gate gradients of all steps, with one matmul or sum each. */
function weightGradients(gateGradients: tf.Tensor2D[], context: LSTMBackwardContext): tf.Tensor[] {
  const { input, kernel, recurrentKernel, steps } = context;
  const allGateGradients = tf.concat(gateGradients, 0);

  const inputGradient = tf.matMul(allGateGradients, tf.transpose(kernel));
  const kernelGradient = tf.matMul(tf.transpose(input), allGateGradients);
  const biasGradient = tf.sum(allGateGradients, 0);

  // Step t's recurrent matmul read h_{t-1}, and step 0 read the zero initial state.
  let recurrentKernelGradient: tf.Tensor;
  if (steps.length > 1) {
    const previousHidden = tf.concat(steps.slice(0, -1).map((step) => step.hidden), 0);
    recurrentKernelGradient = tf.matMul(tf.transpose(previousHidden), tf.concat(gateGradients.slice(1), 0));
  } else {
    recurrentKernelGradient = tf.zerosLike(recurrentKernel);
  }

  return [inputGradient, kernelGradient, recurrentKernelGradient, biasGradient, tf.clone(biasGradient)];
}

/** sigmoid'(z) from s = sigmoid(z): s * (1 - s). */
function sigmoidDerivative(activation: tf.Tensor): tf.Tensor {
  return tf.mul(activation, tf.sub(1, activation));
}

/** tanh'(z) from t = tanh(z): 1 - t^2. */
function tanhDerivative(activation: tf.Tensor): tf.Tensor {
  return tf.sub(1, tf.square(activation));
}

function sumDefined(first: tf.Tensor2D | undefined, second: tf.Tensor2D | undefined): tf.Tensor2D {
  if (first === undefined) {
    return second as tf.Tensor2D;
  }
  return second === undefined ? first : tf.add(first, second);
}
