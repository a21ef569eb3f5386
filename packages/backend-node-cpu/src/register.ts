import * as tf from '@tensorflow/tfjs-core';

import { LSTM_SEQUENCE_GRAD_KERNEL, LSTM_SEQUENCE_KERNEL } from '@lstm-mnist/model';
import { FUSED_ADAM_KERNEL } from '@lstm-mnist/train';

import { fusedAdam } from './adam-kernel.js';
import { type NativeAddonStatus, loadNativeAddon } from './addon.js';
import { NATIVE_CPU_BACKEND_NAME, NativeCpuBackend } from './backend.js';
import { FAST_BINARY_KERNELS, fastBinaryKernel, fastTranspose } from './elementwise-kernels.js';
import { lstmSequenceBackward, lstmSequenceForward } from './lstm-kernels.js';
import { nativeBatchMatMul } from './matmul-kernel.js';

/**
 * Registration priority. It is below the CPU backend's 1, so importing this package never changes
 * which backend tfjs-core picks by itself; select it with `tf.setBackend('native-cpu')`.
 */
const BACKEND_PRIORITY = 0;

type KernelEntry = Pick<tf.KernelConfig, 'kernelName' | 'kernelFunc'>;

/**
 * Kernels that this backend replaces or adds: the addon's matmul, LSTM and fused Adam update, and
 * JavaScript fast paths for element-wise ops. All other kernels are those of tfjs-backend-cpu.
 */
function nativeKernels(): KernelEntry[] {
  return [
    { kernelName: tf.BatchMatMul, kernelFunc: nativeBatchMatMul as tf.KernelFunc },
    { kernelName: LSTM_SEQUENCE_KERNEL, kernelFunc: lstmSequenceForward as tf.KernelFunc },
    { kernelName: LSTM_SEQUENCE_GRAD_KERNEL, kernelFunc: lstmSequenceBackward as unknown as tf.KernelFunc },
    { kernelName: FUSED_ADAM_KERNEL, kernelFunc: fusedAdam as unknown as tf.KernelFunc },
    { kernelName: tf.Transpose, kernelFunc: fastTranspose as tf.KernelFunc },
    ...FAST_BINARY_KERNELS.map((kernelName) => ({ kernelName, kernelFunc: fastBinaryKernel(kernelName) })),
  ];
}

/**
 * Registers the `native-cpu` backend and its kernels with tfjs-core when the addon loads, and does
 * nothing more on later calls. Returns the addon's status, whose `reason` explains why it is unavailable.
 */
export function registerNativeCpuBackend(): NativeAddonStatus {
  const status = loadNativeAddon();
  if (!status.loaded || tf.findBackendFactory(NATIVE_CPU_BACKEND_NAME) !== null) {
    return status;
  }

  const addon = status.addon;
  tf.registerBackend(NATIVE_CPU_BACKEND_NAME, () => new NativeCpuBackend(addon), BACKEND_PRIORITY);
  // Kernels stay registered when a backend is removed, so a second registration skips them.
  if (tf.getKernel(LSTM_SEQUENCE_KERNEL, NATIVE_CPU_BACKEND_NAME) !== undefined) {
    return status;
  }
  const ownKernels = nativeKernels();
  const replaced = new Set(ownKernels.map((kernel) => kernel.kernelName));
  for (const kernel of tf.getKernelsForBackend('cpu')) {
    if (!replaced.has(kernel.kernelName)) {
      tf.registerKernel({ ...kernel, backendName: NATIVE_CPU_BACKEND_NAME });
    }
  }
  for (const kernel of ownKernels) {
    tf.registerKernel({ ...kernel, backendName: NATIVE_CPU_BACKEND_NAME });
  }
  return status;
}
