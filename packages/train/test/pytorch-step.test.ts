import { LSTMModel } from '@lstm-mnist/model';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Trainer } from '../src/index.js';
import type { BatchLike, BatchLoader, StepEvent } from '../src/index.js';
import { PARAMETER_NAMES, fixtureTensor, getStored, maxAbsoluteDifference, readFixture } from './helpers/fixture.js';
import { useBackend } from './helpers/backend.js';

/**
 * Allowed absolute difference after one step, 1% of the learning rate. For a gradient near or below
 * epsilon (1e-8), the update lr * g / (|g| + epsilon) is proportional to g, so a float32 difference
 * of 2e-11 in a gradient of 6e-10 moves the parameter by 2e-6. That was the largest difference
 * measured on the cpu backend, in lstm.weight_ih_l0.
 */
const STEP_TOLERANCE = 1e-5;

/** Loader that yields the fixture's 8 normalised test images once per epoch. */
class FixtureBatchLoader implements BatchLoader {
  readonly length = 1;

  async *[Symbol.asyncIterator](): AsyncIterator<BatchLike> {
    const batch = readFixture('batch');
    const images = fixtureTensor(batch, 'images') as tf.Tensor3D;
    const labels = fixtureTensor(batch, 'labels') as tf.Tensor1D;
    yield { images, labels, size: images.shape[0], dispose: () => tf.dispose([images, labels]) };
  }
}

/** Loads the fixture's model from PyTorch's state_dict. */
function loadFixtureModel(): LSTMModel {
  const stateDict = readFixture('model');
  const model = LSTMModel.create({ inputSize: 28, hiddenSize: 128, numLayers: 2, numClasses: 10 });
  const tensors = new Map(PARAMETER_NAMES.map((name) => [name, fixtureTensor(stateDict, name)]));
  model.loadStateDict(tensors);
  tf.dispose([...tensors.values()]);

  return model;
}

describe.each(['cpu', 'wasm'] as const)('Trainer step against PyTorch on %s', (backend) => {
  let model: LSTMModel;
  let stepEvent: StepEvent | undefined;

  beforeAll(async () => {
    await useBackend(backend);
    model = loadFixtureModel();
    const trainer = new Trainer({
      model,
      trainLoader: new FixtureBatchLoader(),
      testLoader: new FixtureBatchLoader(),
      epochs: 1,
      lr: 0.001,
      onEvent: (event) => {
        if (event.type === 'step') {
          stepEvent = event;
        }
      },
    });
    await trainer.run();
    trainer.dispose();
  });

  afterAll(() => {
    model.dispose();
  });

  it('reports the PyTorch loss of the first step', () => {
    const expectedLoss = getStored(readFixture('expected'), 'loss').data[0] as number;

    expect(Math.abs((stepEvent?.loss ?? Number.NaN) - expectedLoss) / expectedLoss).toBeLessThan(1e-5);
  });

  it('updates every parameter like one PyTorch Adam step', async () => {
    const expected = readFixture('expected');
    const stateDict = model.stateDict();
    const differences: Record<string, number> = {};
    for (const name of PARAMETER_NAMES) {
      const actual = await (stateDict.get(name) as tf.Tensor).data();
      differences[name] = maxAbsoluteDifference(actual, getStored(expected, `after_adam_step.${name}`).data).value;
    }
    tf.dispose([...stateDict.values()]);

    for (const name of PARAMETER_NAMES) {
      expect(differences[name], name).toBeLessThan(STEP_TOLERANCE);
    }
  });
});
