import * as tf from '@tensorflow/tfjs-core';

import { type NativeCpuBackend, float32Values } from './backend.js';

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

type BinaryLoop = (a: Float32Array, b: Float32Array, out: Float32Array, aStep: number, bStep: number) => void;

/**
 * Loops for float32 binary ops whose operands have the same size or where one is a single value
 * (step 0). tfjs-backend-cpu 4.22 calls a closure per element for these, which dominates an Adam
 * update. One monomorphic loop per op is several times faster and gives the same float32 results.
 */
const BINARY_LOOPS: Readonly<Record<string, BinaryLoop>> = {
  [tf.Add]: (a, b, out, aStep, bStep) => {
    for (let i = 0, ia = 0, ib = 0; i < out.length; i++, ia += aStep, ib += bStep) out[i] = (a[ia] as number) + (b[ib] as number);
  },
  [tf.Sub]: (a, b, out, aStep, bStep) => {
    for (let i = 0, ia = 0, ib = 0; i < out.length; i++, ia += aStep, ib += bStep) out[i] = (a[ia] as number) - (b[ib] as number);
  },
  [tf.Multiply]: (a, b, out, aStep, bStep) => {
    for (let i = 0, ia = 0, ib = 0; i < out.length; i++, ia += aStep, ib += bStep) out[i] = (a[ia] as number) * (b[ib] as number);
  },
  [tf.RealDiv]: (a, b, out, aStep, bStep) => {
    for (let i = 0, ia = 0, ib = 0; i < out.length; i++, ia += aStep, ib += bStep) out[i] = (a[ia] as number) / (b[ib] as number);
  },
};

/** Kernel names that `fastBinaryKernel` handles. */
export const FAST_BINARY_KERNELS = Object.keys(BINARY_LOOPS);

/**
 * Builds a binary kernel with a fast path for float32 operands of equal shape, or a single-value
 * operand and any shape. Other cases (broadcasting along axes, other dtypes) run the CPU kernel.
 */
export function fastBinaryKernel(kernelName: string): tf.KernelFunc {
  const loop = BINARY_LOOPS[kernelName] as BinaryLoop;
  const cpuKernel = tf.getKernel(kernelName, 'cpu');

  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const backend = args.backend as NativeCpuBackend;
    const aSize = tf.util.sizeFromShape(a.shape);
    const bSize = tf.util.sizeFromShape(b.shape);
    const sameShape = tf.util.arraysEqual(a.shape, b.shape);
    const singleValue = (aSize === 1 && a.shape.length <= b.shape.length) || (bSize === 1 && b.shape.length <= a.shape.length);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || !(sameShape || singleValue)) {
      return cpuKernel.kernelFunc(args);
    }

    const outShape = aSize >= bSize && a.shape.length >= b.shape.length ? a.shape : b.shape;
    const out = new Float32Array(tf.util.sizeFromShape(outShape));
    loop(float32Values(backend, a), float32Values(backend, b), out, aSize === 1 ? 0 : 1, bSize === 1 ? 0 : 1);
    return backend.makeTensorInfo(outShape, 'float32', out);
  };
}

/**
 * Transpose with a fast path for float32 matrices and rank-3 tensors; other ranks and dtypes run the
 * CPU kernel, which computes an index per element.
 */
export function fastTranspose(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { perm } = args.attrs as unknown as tf.TransposeAttrs;
  const backend = args.backend as NativeCpuBackend;
  if (x.dtype !== 'float32' || (x.shape.length !== 2 && x.shape.length !== 3)) {
    return tf.getKernel(tf.Transpose, 'cpu').kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }

  const shape = x.shape.length === 2 ? [1, ...x.shape] : x.shape;
  const order = x.shape.length === 2 ? [0, ...perm.map((axis) => axis + 1)] : perm;
  const values = float32Values(backend, x);
  const out = new Float32Array(values.length);
  const strides = [(shape[1] as number) * (shape[2] as number), shape[2] as number, 1];
  const outShape = order.map((axis) => shape[axis] as number);
  const [s0, s1, s2] = order.map((axis) => strides[axis] as number) as [number, number, number];
  const [n0, n1, n2] = outShape as [number, number, number];

  let index = 0;
  for (let i = 0; i < n0; i++) {
    for (let j = 0; j < n1; j++) {
      let source = i * s0 + j * s1;
      for (let k = 0; k < n2; k++, source += s2) out[index++] = values[source] as number;
    }
  }
  return backend.makeTensorInfo(
    perm.map((axis) => x.shape[axis] as number),
    'float32',
    out,
  );
}
