import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

import * as tf from '@tensorflow/tfjs-core';

/**
 * Selects a tfjs backend for a test. On cpu it turns on tfjs's test mode, which checks each kernel
 * for leaked data buffers and silences the advice to install tfjs-node. On wasm test mode stays off,
 * because in tfjs 4.22 its check reports a leak inside the gradient of tf.logSoftmax although the
 * buffer count is the same after every step.
 */
export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  tf.env().set('IS_TEST', name === 'cpu');
  const ready = await tf.setBackend(name);
  if (!ready) {
    throw new Error(`The tfjs ${name} backend failed to initialize.`);
  }
}
