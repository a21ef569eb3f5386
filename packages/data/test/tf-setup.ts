import '@tensorflow/tfjs-backend-cpu';

import * as tf from '@tensorflow/tfjs-core';

/** Selects the CPU backend and silences tfjs's one-time advice to install tfjs-node. */
export async function useCpuBackend(): Promise<void> {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
}
