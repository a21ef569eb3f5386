import * as tf from '@tensorflow/tfjs-core';

import type { FusedAdamAttrs } from '@lstm-mnist/train';

import { type NativeCpuBackend, float32Values } from './backend.js';

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

const INPUT_NAMES = ['variable', 'gradient', 'firstMoment', 'secondMoment'] as const;

/**
 * Runs the fused Adam kernel (`FUSED_ADAM_KERNEL` of `@lstm-mnist/train`) as one addon call per
 * variable, instead of about a dozen element-wise ops that each allocate a new array.
 *
 * @throws TypeError when an input is missing or not float32.
 * @throws RangeError when the inputs' shapes differ.
 */
export function fusedAdam(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as NativeCpuBackend;
  const inputs = INPUT_NAMES.map((name) => checkInput(name, args.inputs[name], args.inputs['variable']));
  const [variable, gradient, firstMoment, secondMoment] = inputs.map((tensor) => float32Values(backend, tensor)) as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const attrs = args.attrs as unknown as FusedAdamAttrs;

  const outputs = [new Float32Array(variable.length), new Float32Array(variable.length), new Float32Array(variable.length)] as const;
  backend.addon.adamUpdate(
    variable,
    gradient,
    firstMoment,
    secondMoment,
    ...outputs,
    attrs.beta1,
    attrs.oneMinusBeta1,
    attrs.beta2,
    attrs.oneMinusBeta2,
    attrs.stepSize,
    attrs.biasCorrection2Sqrt,
    attrs.epsilon,
  );
  const shape = (inputs[0] as tf.TensorInfo).shape;
  return outputs.map((values) => backend.makeTensorInfo(shape, 'float32', values));
}

function checkInput(name: string, tensor: tf.TensorInfo | undefined, variable: tf.TensorInfo | undefined): tf.TensorInfo {
  if (tensor === undefined || tensor.dtype !== 'float32') {
    throw new TypeError(`FusedAdam: input ${name} must be a float32 tensor, got ${tensor === undefined ? 'none' : tensor.dtype}`);
  }
  if (variable !== undefined && !tf.util.arraysEqual(tensor.shape, variable.shape)) {
    throw new RangeError(
      `FusedAdam: ${name} has shape ${JSON.stringify(tensor.shape)}, expected the variable's ${JSON.stringify(variable.shape)}`,
    );
  }
  return tensor;
}
