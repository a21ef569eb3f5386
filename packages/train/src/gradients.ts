import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradient functions, so tf.variableGrads fails on the first op.
// Loading tfjs-layers 4.x registers all of tfjs-core's gradients, in its Node build and its browser build alike.
import '@tensorflow/tfjs-layers';

/** The last kernel of crossEntropy, so every backward pass needs its gradient; used to probe the registry. */
const PROBE_KERNEL = 'Neg';

/**
 * Checks that tfjs gradient functions are registered.
 *
 * @throws Error naming the fix when they are missing, for example when a bundler dropped the
 *   side-effect import of tfjs-layers.
 */
export function assertGradientsRegistered(): void {
  if (tf.getGradient(PROBE_KERNEL) === undefined) {
    throw new Error(
      `Trainer: no gradient function is registered for the tfjs kernel '${PROBE_KERNEL}', so training cannot ` +
        "compute gradients. Import '@tensorflow/tfjs-layers' (or '@tensorflow/tfjs') once in the app before training.",
    );
  }
}
