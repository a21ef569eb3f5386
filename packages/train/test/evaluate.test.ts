import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { evaluate } from '../src/index.js';
import type { ClassifierModel } from '../src/index.js';
import { ExampleLoader } from './helpers/mocks.js';
import type { Example } from './helpers/mocks.js';
import { useBackend } from './helpers/backend.js';

beforeAll(async () => {
  await useBackend('cpu');
});

/** Model whose logits are the image itself: an image [1, numClasses] is its own score row. */
const identityModel: ClassifierModel = {
  forward: (x) => tf.reshape(x, [x.shape[0], x.shape[2]]) as tf.Tensor2D,
};

/** Builds an example labelled `label` whose highest score is at `predicted`. */
function example(predicted: number, label: number): Example {
  const scores = [0, 0, 0];
  scores[predicted] = 1;
  return { image: [scores], label };
}

describe('evaluate', () => {
  it('counts arg-max predictions that equal the label', async () => {
    const loader = new ExampleLoader([example(0, 0), example(1, 2), example(2, 2), example(1, 1), example(0, 1)], 2);

    const result = await evaluate(identityModel, loader);

    expect(result).toEqual({ accuracy: 3 / 5, correct: 3, total: 5 });
  });

  it('counts a final partial batch by its size', async () => {
    const loader = new ExampleLoader([example(0, 0), example(1, 1), example(2, 0)], 2);

    const result = await evaluate(identityModel, loader);

    expect(result.total).toBe(3);
  });

  it('disposes every batch', async () => {
    const loader = new ExampleLoader([example(0, 0), example(1, 1), example(2, 0)], 2);

    await evaluate(identityModel, loader);

    expect(loader.disposed).toBe(loader.created);
  });

  it('leaves the tensor count unchanged', async () => {
    const loader = new ExampleLoader([example(0, 0), example(1, 1), example(2, 0)], 2);
    const before = tf.memory().numTensors;

    await evaluate(identityModel, loader);

    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a loader without examples', async () => {
    const loader = new ExampleLoader([], 2);

    await expect(evaluate(identityModel, loader)).rejects.toThrow(
      'evaluate: the loader yielded no examples, so accuracy is undefined.',
    );
  });

  it('stops after the current batch when aborted', async () => {
    const controller = new AbortController();
    const loader = new ExampleLoader([example(0, 0), example(1, 1), example(2, 0), example(2, 2)], 1);
    const abortingModel: ClassifierModel = {
      forward: (x) => {
        controller.abort(new Error('stopped by test'));
        return identityModel.forward(x);
      },
    };

    await expect(evaluate(abortingModel, loader, { signal: controller.signal })).rejects.toThrow('stopped by test');
    expect(loader.created).toBe(1);
    expect(loader.disposed).toBe(1);
  });

  it('rejects at once when already aborted', async () => {
    const loader = new ExampleLoader([example(0, 0)], 1);

    await expect(evaluate(identityModel, loader, { signal: AbortSignal.abort(new Error('early')) })).rejects.toThrow('early');
    expect(loader.created).toBe(0);
  });
});
