import * as tf from '@tensorflow/tfjs-core';

import { lstmLayerBackward, type LSTMStepTensors } from './lstm-backward.js';
import { LSTM_SEQUENCE_GRAD_KERNEL, LSTM_SEQUENCE_KERNEL, type LSTMSequenceAttrs } from './lstm-kernel-contract.js';
import { splitRowBlocks } from './split-rows.js';

/**
 * Weights of one LSTM layer in matmul layout, gate column blocks ordered
 * input, forget, cell candidate (g), output as in PyTorch's `nn.LSTM`.
 */
export interface LSTMLayerWeights {
  /** `[in, 4H]`, PyTorch's `weight_ih` transposed. */
  kernel: tf.Tensor;
  /** `[H, 4H]`, PyTorch's `weight_hh` transposed. */
  recurrentKernel: tf.Tensor;
  /** `[4H]`, PyTorch's `bias_ih`. */
  biasIh: tf.Tensor;
  /** `[4H]`, PyTorch's `bias_hh`. */
  biasHh: tf.Tensor;
}

/** Weights of the linear output layer: `kernel` `[H, C]` is PyTorch's `fc.weight` transposed, `bias` `[C]`. */
export interface LinearWeights {
  kernel: tf.Tensor;
  bias: tf.Tensor;
}

/**
 * Computes the logits of a stacked LSTM followed by a linear layer on the last
 * time step, as PyTorch's `nn.LSTM(batch_first=True)` then `nn.Linear` do:
 * zero initial hidden and cell states, sigmoid gates and tanh cell activation.
 *
 * Each layer projects all time steps of its input with one matmul and then runs
 * one recurrent matmul per step. Sequences are handled time-major, as `[time * batch, features]`
 * rows, so each layer's hidden states feed the next layer's projection without a transpose.
 *
 * @param x float32 `[batch, time, in]`, with `in` the first kernel's row count.
 * @returns float32 logits `[batch, C]`. Intermediate tensors are released.
 */
export function stackedLSTMForward(x: tf.Tensor3D, layers: readonly LSTMLayerWeights[], fc: LinearWeights): tf.Tensor2D {
  return tf.tidy(() => {
    const [batch, time, inputSize] = x.shape;
    let sequence: tf.Tensor2D = tf.reshape(tf.transpose(x, [1, 0, 2]), [time * batch, inputSize]);

    layers.forEach((layer, index) => {
      const isLastLayer = index === layers.length - 1;
      sequence = lstmLayer(sequence, layer, { time, batch, returnSequences: !isLastLayer });
    });

    return tf.add(tf.matMul(sequence, fc.kernel), fc.bias) as tf.Tensor2D;
  });
}

interface LayerShape {
  time: number;
  batch: number;
  /** Whether the layer returns every step's hidden state `[time * batch, H]` or only the last one `[batch, H]`. */
  returnSequences: boolean;
}

/**
 * Runs one LSTM layer from zero states over time-major rows `[time * batch, in]`.
 *
 * The layer is one custom-gradient op with hand-written backpropagation through time.
 * tfjs's automatic gradients of the per-step graph would use transposed matmuls and
 * many slices. tfjs-backend-wasm 4.22 runs transposed matmuls on a slow scalar path
 * and copies a slice's whole input for every slice. The backward pass instead collects
 * the gate gradients of all steps and computes the input and weight gradients with one
 * large matmul each.
 *
 * The op saves only its inputs and the backward pass runs the recurrence again to get
 * the step activations. Keeping the activations from the forward pass would be faster,
 * but the kernel leak check of tfjs-core 4.22 (on when the `IS_TEST` flag is set) reports
 * any tensor a custom op keeps beyond its output as a leak.
 */
function lstmLayer(sequence: tf.Tensor2D, weights: LSTMLayerWeights, shape: LayerShape): tf.Tensor2D {
  if (hasFusedLSTMKernels()) {
    return fusedLSTMLayer(sequence, weights, shape);
  }

  const layerOp = tf.customGrad((input, kernel, recurrentKernel, biasIh, biasHh, save) => {
    const inputs = [input, kernel, recurrentKernel, biasIh, biasHh] as tf.Tensor[];
    const steps = lstmLayerSteps(inputs, shape);
    const hiddenStates = steps.map((step) => step.hidden);
    const value = shape.returnSequences ? tf.concat(hiddenStates, 0) : (hiddenStates[hiddenStates.length - 1] as tf.Tensor2D);

    (save as tf.GradSaveFunc)(inputs);

    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedInput, savedKernel, savedRecurrentKernel] = saved as tf.Tensor2D[];
        return lstmLayerBackward(dy as tf.Tensor2D, {
          input: savedInput as tf.Tensor2D,
          kernel: savedKernel as tf.Tensor2D,
          recurrentKernel: savedRecurrentKernel as tf.Tensor2D,
          steps: lstmLayerSteps(saved, shape),
          returnSequences: shape.returnSequences,
        });
      },
    };
  });

  return layerOp(sequence, weights.kernel, weights.recurrentKernel, weights.biasIh, weights.biasHh) as tf.Tensor2D;
}

function hasFusedLSTMKernels(): boolean {
  const backendName = tf.getBackend();
  return tf.getKernel(LSTM_SEQUENCE_KERNEL, backendName) !== undefined && tf.getKernel(LSTM_SEQUENCE_GRAD_KERNEL, backendName) !== undefined;
}

/**
 * Runs one LSTM layer through the active backend's fused kernels (see `LSTM_SEQUENCE_KERNEL`):
 * one kernel call forward and one backward, with the same results as the composed ops up to rounding.
 */
function fusedLSTMLayer(sequence: tf.Tensor2D, weights: LSTMLayerWeights, shape: LayerShape): tf.Tensor2D {
  const attrs: LSTMSequenceAttrs = { time: shape.time, batch: shape.batch, returnSequences: shape.returnSequences };
  const layerOp = tf.customGrad((input, kernel, recurrentKernel, biasIh, biasHh, save) => {
    const inputs = { input, kernel, recurrentKernel, biasIh, biasHh } as tf.NamedTensorMap;
    const value = tf.engine().runKernel<tf.Tensor2D>(LSTM_SEQUENCE_KERNEL, inputs, { ...attrs });
    (save as tf.GradSaveFunc)(Object.values(inputs));

    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedInput, savedKernel, savedRecurrentKernel, savedBiasIh, savedBiasHh] = saved as tf.Tensor[];
        const gradInputs = {
          dy,
          input: savedInput,
          kernel: savedKernel,
          recurrentKernel: savedRecurrentKernel,
          biasIh: savedBiasIh,
          biasHh: savedBiasHh,
          output: value,
        } as tf.NamedTensorMap;
        return tf.engine().runKernel<tf.Tensor[]>(LSTM_SEQUENCE_GRAD_KERNEL, gradInputs, { ...attrs });
      },
    };
  });

  return layerOp(sequence, weights.kernel, weights.recurrentKernel, weights.biasIh, weights.biasHh) as tf.Tensor2D;
}

/**
 * Runs the forward recurrence and returns the activations of every step, which the backward pass needs.
 * `inputs` are the op's inputs in order: input rows, kernel, recurrent kernel, `bias_ih`, `bias_hh`.
 */
function lstmLayerSteps(inputs: readonly tf.Tensor[], shape: LayerShape): LSTMStepTensors[] {
  const [input, kernel, recurrentKernel, biasIh, biasHh] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
  const bias = tf.add(biasIh, biasHh);
  const projected = tf.add<tf.Tensor2D>(tf.matMul(input, kernel), bias);
  const projectedSteps = splitRowBlocks(projected, shape.time);

  const steps: LSTMStepTensors[] = [];
  let previous: LSTMStepTensors | undefined;
  for (const projectedStep of projectedSteps) {
    const gates = previous === undefined ? projectedStep : tf.add<tf.Tensor2D>(projectedStep, tf.matMul(previous.hidden, recurrentKernel));
    const [inputPre, forgetPre, candidatePre, outputPre] = tf.split(gates, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const inputGate = tf.sigmoid(inputPre);
    const forgetGate = tf.sigmoid(forgetPre);
    const candidate = tf.tanh(candidatePre);
    const outputGate = tf.sigmoid(outputPre);

    // With c0 = 0 the first step's forget term f * c0 vanishes.
    const written = tf.mul<tf.Tensor2D>(inputGate, candidate);
    const cell = previous === undefined ? written : tf.add<tf.Tensor2D>(tf.mul(forgetGate, previous.cell), written);
    const cellTanh = tf.tanh(cell);
    const hidden = tf.mul<tf.Tensor2D>(outputGate, cellTanh);

    previous = { inputGate, forgetGate, candidate, outputGate, cell, cellTanh, hidden };
    steps.push(previous);
  }
  return steps;
}
