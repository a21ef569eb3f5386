import * as tf from '@tensorflow/tfjs-core';

import { type NativeCpuBackend, float32Values } from './backend.js';

/**
 * BatchMatMul on the addon's SGEMM for float32 operands of rank 2 or more, with the batch
 * broadcasting of tfjs-backend-cpu 4.22 (batch index `i` reads `i % batchA` and `i % batchB`).
 * Other dtypes run the plain CPU kernel.
 */
export function nativeBatchMatMul(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as NativeCpuBackend;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') {
    return runCpuBatchMatMul(args);
  }

  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const m = transposeA ? (a.shape[aRank - 1] as number) : (a.shape[aRank - 2] as number);
  const k = transposeA ? (a.shape[aRank - 2] as number) : (a.shape[aRank - 1] as number);
  const kB = transposeB ? (b.shape[bRank - 1] as number) : (b.shape[bRank - 2] as number);
  const n = transposeB ? (b.shape[bRank - 2] as number) : (b.shape[bRank - 1] as number);
  if (k !== kB) {
    throw new Error(
      `BatchMatMul: inner dimensions differ: a ${JSON.stringify(a.shape)} (transposeA=${transposeA}) has ${k}, ` +
        `b ${JSON.stringify(b.shape)} (transposeB=${transposeB}) has ${kB}`,
    );
  }

  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const batch = tf.util.sizeFromShape(batchShape);
  const aValues = float32Values(backend, a);
  const bValues = float32Values(backend, b);
  const output = new Float32Array(batch * m * n);

  for (let index = 0; index < batch; index++) {
    const aOffset = (index % batchA) * m * k;
    const bOffset = (index % batchB) * k * n;
    backend.addon.sgemm(
      transposeA,
      transposeB,
      m,
      n,
      k,
      aValues.subarray(aOffset, aOffset + m * k),
      bValues.subarray(bOffset, bOffset + k * n),
      output.subarray(index * m * n, (index + 1) * m * n),
      false,
    );
  }
  return backend.makeTensorInfo([...batchShape, m, n], 'float32', output);
}

function runCpuBatchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const cpuKernel = tf.getKernel(tf.BatchMatMul, 'cpu');
  return cpuKernel.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}
