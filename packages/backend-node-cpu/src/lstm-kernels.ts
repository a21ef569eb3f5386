import * as tf from '@tensorflow/tfjs-core';

import type { LSTMSequenceAttrs } from '@lstm-mnist/model';

import { lstmWorkspaceLength } from './addon.js';
import { type NativeCpuBackend, float32Values } from './backend.js';

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

interface LayerSizes extends LSTMSequenceAttrs {
  inputSize: number;
  hiddenSize: number;
}

/**
 * Forward kernel of the model's fused LSTM layer (`LSTM_SEQUENCE_KERNEL` in `@lstm-mnist/model`).
 * While gradients are being recorded it keeps the step activations for the backward kernel, keyed by
 * the output. They are dropped when the backward kernel reads them or when the output is disposed.
 */
export function lstmSequenceForward(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as NativeCpuBackend;
  const sizes = readSizes(args);

  const workspace = runForward(backend, args.inputs, sizes);
  const rows = (sizes.returnSequences ? sizes.time : 1) * sizes.batch;
  const output = backend.makeTensorInfo([rows, sizes.hiddenSize], 'float32', workspace.output);
  if (isRecordingGradients()) {
    backend.keepLSTMWorkspace(output.dataId, workspace.activations);
  } else {
    backend.releaseLSTMWorkspace(workspace.activations);
  }
  return output;
}

/**
 * Backward kernel (`LSTM_SEQUENCE_GRAD_KERNEL`): gradients of input, kernel, recurrent kernel, `bias_ih`
 * and `bias_hh`. Uses the activations kept by the forward call that produced `output`, or runs the
 * forward pass again when none were kept.
 */
export function lstmSequenceBackward(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as NativeCpuBackend;
  const sizes = readSizes(args);
  const { dy, input, kernel, recurrentKernel, output } = args.inputs as Record<string, tf.TensorInfo>;
  checkShape('dy', dy as tf.TensorInfo, [(sizes.returnSequences ? sizes.time : 1) * sizes.batch, sizes.hiddenSize]);

  const activations =
    (output === undefined ? undefined : backend.takeLSTMWorkspace(output.dataId)) ??
    runForward(backend, args.inputs, sizes).activations;

  const rows = sizes.time * sizes.batch;
  const gateWidth = 4 * sizes.hiddenSize;
  const inputGradient = new Float32Array(rows * sizes.inputSize);
  const kernelGradient = new Float32Array(sizes.inputSize * gateWidth);
  const recurrentKernelGradient = new Float32Array(sizes.hiddenSize * gateWidth);
  const biasGradient = new Float32Array(gateWidth);
  backend.addon.lstmBackward(
    float32Values(backend, dy as tf.TensorInfo),
    float32Values(backend, input as tf.TensorInfo),
    float32Values(backend, kernel as tf.TensorInfo),
    float32Values(backend, recurrentKernel as tf.TensorInfo),
    activations,
    inputGradient,
    kernelGradient,
    recurrentKernelGradient,
    biasGradient,
    sizes.time,
    sizes.batch,
    sizes.inputSize,
    sizes.hiddenSize,
    sizes.returnSequences,
  );
  backend.releaseLSTMWorkspace(activations);

  // Both biases enter the gates as a sum, so their gradients are equal.
  return [
    backend.makeTensorInfo([rows, sizes.inputSize], 'float32', inputGradient),
    backend.makeTensorInfo([sizes.inputSize, gateWidth], 'float32', kernelGradient),
    backend.makeTensorInfo([sizes.hiddenSize, gateWidth], 'float32', recurrentKernelGradient),
    backend.makeTensorInfo([gateWidth], 'float32', biasGradient),
    backend.makeTensorInfo([gateWidth], 'float32', biasGradient.slice()),
  ];
}

function runForward(
  backend: NativeCpuBackend,
  inputs: tf.NamedTensorInfoMap,
  sizes: LayerSizes,
): { output: Float32Array; activations: Float32Array } {
  const { input, kernel, recurrentKernel, biasIh, biasHh } = inputs as Record<string, tf.TensorInfo>;
  const biasIhValues = float32Values(backend, biasIh as tf.TensorInfo);
  const biasHhValues = float32Values(backend, biasHh as tf.TensorInfo);
  const bias = new Float32Array(4 * sizes.hiddenSize);
  for (let j = 0; j < bias.length; j++) bias[j] = (biasIhValues[j] as number) + (biasHhValues[j] as number);

  const rows = sizes.time * sizes.batch;
  const output = new Float32Array((sizes.returnSequences ? rows : sizes.batch) * sizes.hiddenSize);
  const activations = backend.allocateLSTMWorkspace(lstmWorkspaceLength(sizes.time, sizes.batch, sizes.hiddenSize));
  backend.addon.lstmForward(
    float32Values(backend, input as tf.TensorInfo),
    float32Values(backend, kernel as tf.TensorInfo),
    float32Values(backend, recurrentKernel as tf.TensorInfo),
    bias,
    output,
    activations,
    sizes.time,
    sizes.batch,
    sizes.inputSize,
    sizes.hiddenSize,
    sizes.returnSequences,
  );
  return { output, activations };
}

/** Reads the attributes and checks every input's shape and dtype against them. */
function readSizes(args: KernelArgs): LayerSizes {
  const { time, batch, returnSequences } = args.attrs as unknown as LSTMSequenceAttrs;
  if (!Number.isInteger(time) || time < 1 || !Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`LSTMSequence: time and batch must be positive integers, got time=${time}, batch=${batch}`);
  }
  const { input, kernel, recurrentKernel, biasIh, biasHh } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  if (input === undefined || kernel === undefined || recurrentKernel === undefined || biasIh === undefined || biasHh === undefined) {
    throw new TypeError('LSTMSequence: expected inputs input, kernel, recurrentKernel, biasIh and biasHh');
  }

  const hiddenSize = recurrentKernel.shape[0] as number;
  const inputSize = kernel.shape[0] as number;
  checkShape('input', input, [time * batch, inputSize]);
  checkShape('kernel', kernel, [inputSize, 4 * hiddenSize]);
  checkShape('recurrentKernel', recurrentKernel, [hiddenSize, 4 * hiddenSize]);
  checkShape('biasIh', biasIh, [4 * hiddenSize]);
  checkShape('biasHh', biasHh, [4 * hiddenSize]);
  return { time, batch, returnSequences: Boolean(returnSequences), inputSize, hiddenSize };
}

function checkShape(name: string, tensor: tf.TensorInfo, expected: number[]): void {
  if (tensor.dtype !== 'float32') {
    throw new TypeError(`LSTMSequence: ${name} must be float32, got ${tensor.dtype}`);
  }
  if (!tf.util.arraysEqual(tensor.shape, expected)) {
    throw new RangeError(
      `LSTMSequence: ${name} has shape ${JSON.stringify(tensor.shape)}, expected ${JSON.stringify(expected)}`,
    );
  }
}

/**
 * Tells whether tfjs-core is recording operations for gradients, from the engine's gradient depth.
 * NOTE: `state.gradientDepth` is internal to tfjs-core 4.22. When it is missing the activations
 * are always kept, which only costs memory until the output is disposed.
 */
function isRecordingGradients(): boolean {
  const depth = (tf.engine() as unknown as { state?: { gradientDepth?: unknown } }).state?.gradientDepth;
  return typeof depth === 'number' ? depth > 0 : true;
}
