import * as tf from '@tensorflow/tfjs-core';

import { errorMessage } from './errors.js';

/** Outcome of `activateBackend`: success, or the reason tfjs-core could not initialise the backend. */
export type ActivationResult = { ok: true } | { ok: false; reason: string; cause?: unknown };

/**
 * Makes a registered tfjs backend the active one with `tf.setBackend` and keeps the error that its
 * factory raised. tfjs-core 4.22 returns only `false` from `setBackend` and prints the cause with
 * `console.warn`, so the factory is wrapped while it runs to keep the cause for the caller.
 */
export async function activateBackend(tfjsName: string): Promise<ActivationResult> {
  const engine = tf.engine();
  const entry = engine.registryFactory[tfjsName];
  if (entry === undefined) {
    return { ok: false, reason: `no backend named '${tfjsName}' is registered with @tensorflow/tfjs-core` };
  }

  const failure: { error?: unknown } = {};
  const originalFactory = entry.factory;
  const alreadyInitialized = tfjsName in engine.registry;
  if (!alreadyInitialized) {
    entry.factory = () => recordFailure(originalFactory, failure);
  }
  let activated: boolean;
  try {
    activated = await tf.setBackend(tfjsName);
  } finally {
    entry.factory = originalFactory;
  }

  if (activated) return { ok: true };
  const detail = 'error' in failure ? errorMessage(failure.error) : 'tf.setBackend returned false';
  return { ok: false, reason: `initialising the '${tfjsName}' backend failed: ${detail}`, cause: failure.error };
}

type BackendFactory = () => tf.KernelBackend | Promise<tf.KernelBackend>;

function recordFailure(factory: BackendFactory, failure: { error?: unknown }): ReturnType<BackendFactory> {
  try {
    const backend = factory();
    if (isThenable(backend)) {
      return Promise.resolve(backend).catch((error: unknown) => {
        failure.error = error;
        throw error;
      });
    }
    return backend;
  } catch (error) {
    failure.error = error;
    throw error;
  }
}

/** Detects an asynchronous factory result the way tfjs-core does: by its `then` method. */
function isThenable(value: unknown): value is PromiseLike<tf.KernelBackend> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
