import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { Adam, Trainer, evaluate, train } from '../src/index.js';
import type { EpochEndEvent, StepEvent, TrainEvent, TrainOptions } from '../src/index.js';
import { ExampleLoader, LinearModel, ManualClock, makeSeparableExamples } from './helpers/mocks.js';
import { useBackend } from './helpers/backend.js';

beforeAll(async () => {
  await useBackend('cpu');
});

let models: LinearModel[] = [];
afterEach(() => {
  models.forEach((model) => model.dispose());
  models = [];
});

/** Options for a linear model on 2x2 images: 12 training examples in 4 batches of 3, 6 test examples in 2 batches. */
function setup(overrides: Partial<TrainOptions> = {}): TrainOptions & {
  model: LinearModel;
  trainLoader: ExampleLoader;
  testLoader: ExampleLoader;
  clock: ManualClock;
  events: TrainEvent[];
} {
  const clock = new ManualClock();
  const model = new LinearModel(4, 2, clock);
  models.push(model);
  const events: TrainEvent[] = [];

  return {
    model,
    trainLoader: new ExampleLoader(makeSeparableExamples(12), 3),
    testLoader: new ExampleLoader(makeSeparableExamples(6), 3),
    epochs: 2,
    lr: 0.1,
    now: clock.now,
    onEvent: (event) => events.push(event),
    clock,
    events,
    ...overrides,
  } as ReturnType<typeof setup>;
}

function stepEvents(events: TrainEvent[]): StepEvent[] {
  return events.filter((event): event is StepEvent => event.type === 'step');
}

function epochEndEvents(events: TrainEvent[]): EpochEndEvent[] {
  return events.filter((event): event is EpochEndEvent => event.type === 'epoch-end');
}

describe('Trainer events', () => {
  it('numbers epochs and steps from 1', async () => {
    const options = setup();

    await train(options);
    const positions = stepEvents(options.events).map((event) => [event.epoch, event.step]);

    expect(positions).toEqual([[1, 1], [1, 2], [1, 3], [1, 4], [2, 1], [2, 2], [2, 3], [2, 4]]);
  });

  it('emits epoch-end after the epoch steps', async () => {
    const options = setup();

    await train(options);
    const types = options.events.map((event) => (event.type === 'step' ? 's' : 'E')).join('');

    expect(types).toBe('ssssEssssE');
  });

  it('keeps stepsPerEpoch at the loader length', async () => {
    const options = setup({ maxStepsPerEpoch: 2 });

    await train(options);
    const steps = stepEvents(options.events);

    expect(steps.map((event) => event.step)).toEqual([1, 2, 1, 2]);
    expect(steps.every((event) => event.stepsPerEpoch === 4)).toBe(true);
    expect(epochEndEvents(options.events).map((event) => event.steps)).toEqual([2, 2]);
  });

  it('reports batch sizes and epoch count', async () => {
    const options = setup({ trainLoader: new ExampleLoader(makeSeparableExamples(10), 4), epochs: 1 });

    await train(options);
    const steps = stepEvents(options.events);

    expect(steps.map((event) => event.batchSize)).toEqual([4, 4, 2]);
    expect(steps.every((event) => event.epochs === 1)).toBe(true);
  });

  it('averages the step losses into trainLoss', async () => {
    const options = setup();

    await train(options);
    const firstEpochLosses = stepEvents(options.events).filter((event) => event.epoch === 1).map((event) => event.loss);
    const mean = firstEpochLosses.reduce((sum, loss) => sum + loss, 0) / firstEpochLosses.length;

    expect(epochEndEvents(options.events)[0]?.trainLoss).toBeCloseTo(mean, 12);
  });

  it('reports test accuracy equal to evaluate', async () => {
    const options = setup({ epochs: 1 });

    await train(options);
    const expected = await evaluate(options.model, new ExampleLoader(makeSeparableExamples(6), 3));
    const [event] = epochEndEvents(options.events);

    expect(event?.testAccuracy).toBe(expected.accuracy);
    expect(event?.testCorrect).toBe(expected.correct);
    expect(event?.testTotal).toBe(6);
  });

  it('times steps and epochs with the given clock', async () => {
    // Every forward pass advances the clock by 5 ms: 4 training steps and 2 test batches per epoch.
    const options = setup({ epochs: 1 });

    await train(options);
    const [event] = epochEndEvents(options.events);

    expect(stepEvents(options.events).map((step) => step.msPerBatch)).toEqual([5, 5, 5, 5]);
    expect(event?.msPerBatch).toBe(5);
    expect(event?.seconds).toBeCloseTo(0.03, 12);
  });

  it('names the active backend', async () => {
    const options = setup({ epochs: 1 });

    await train(options);

    expect(epochEndEvents(options.events)[0]?.backend).toBe('cpu');
  });

  it('delivers events to on() listeners until removed', async () => {
    const options = setup({ onEvent: undefined });
    const trainer = new Trainer(options);
    const epochs: number[] = [];
    const remove = trainer.on('epoch-end', (event) => {
      epochs.push(event.epoch);
      remove();
    });

    await trainer.run();
    trainer.dispose();

    expect(epochs).toEqual([1]);
  });
});

describe('Trainer training', () => {
  it('lowers the loss on separable data', async () => {
    const options = setup({ epochs: 5 });

    const result = await train(options);
    const losses = result.history.map((event) => event.trainLoss);

    expect(losses[4]).toBeLessThan((losses[0] as number) / 2);
    expect(result.history[4]?.testAccuracy).toBe(1);
  });

  it('returns the history of finished epochs', async () => {
    const options = setup();

    const result = await train(options);

    expect(result).toMatchObject({ epochsCompleted: 2, steps: 8, aborted: false });
    expect(result.history).toEqual(epochEndEvents(options.events));
  });

  it('keeps the tensor count constant across steps', async () => {
    const options = setup({ epochs: 3 });
    const counts: number[] = [];
    options.onEvent = (event) => {
      if (event.type === 'step') {
        counts.push(tf.memory().numTensors);
      }
    };

    await train(options);

    expect(new Set(counts).size).toBe(1);
  });

  it('leaves the tensor count where it started after train', async () => {
    const options = setup();
    const before = tf.memory().numTensors;

    await train(options);

    expect(tf.memory().numTensors).toBe(before);
  });

  it('disposes every training and test batch', async () => {
    const options = setup({ maxStepsPerEpoch: 3 });

    await train(options);

    expect(options.trainLoader.disposed).toBe(6);
    expect(options.testLoader.disposed).toBe(options.testLoader.created);
  });

  it('sets the 0-based epoch index on the training loader', async () => {
    const options = setup({ epochs: 3 });

    await train(options);

    expect(options.trainLoader.epochsSet).toEqual([0, 1, 2]);
  });

  it('leaves a caller-provided optimizer usable', async () => {
    const options = setup({ lr: undefined });
    const optimizer = new Adam(options.model.trainableVariables(), { lr: 0.05 });

    await train({ ...options, optimizer });

    expect(optimizer.stepCount).toBe(8);
    expect(() => optimizer.getState()).not.toThrow();
    optimizer.dispose();
  });

  it('disposes the batch when the model throws', async () => {
    const options = setup();
    options.model.forward = () => {
      throw new Error('forward failed');
    };

    await expect(train(options)).rejects.toThrow('forward failed');
    expect(options.trainLoader.disposed).toBe(1);
  });
});

describe('Trainer abort', () => {
  it('stops after the current step', async () => {
    const controller = new AbortController();
    const options = setup({ signal: controller.signal });
    options.onEvent = (event) => {
      options.events.push(event);
      if (event.type === 'step' && event.step === 2) {
        controller.abort();
      }
    };

    const result = await train(options);

    expect(result).toMatchObject({ aborted: true, steps: 2, epochsCompleted: 0 });
    expect(options.events.map((event) => event.type)).toEqual(['step', 'step']);
    expect(options.trainLoader.disposed).toBe(2);
  });

  it('runs no step when aborted before the start', async () => {
    const options = setup({ signal: AbortSignal.abort() });

    const result = await train(options);

    expect(result).toMatchObject({ aborted: true, steps: 0 });
    expect(options.trainLoader.created).toBe(0);
  });

  it('stops during evaluation without an epoch-end event', async () => {
    const controller = new AbortController();
    const options = setup({ signal: controller.signal, epochs: 1 });
    const forward = options.model.forward.bind(options.model);
    options.model.forward = (x) => {
      if (options.model.forwardCalls === 4) {
        controller.abort();
      }
      return forward(x);
    };

    const result = await train(options);

    expect(result).toMatchObject({ aborted: true, steps: 4, epochsCompleted: 0 });
    expect(epochEndEvents(options.events)).toEqual([]);
  });

  it('leaves no tensors behind when aborted', async () => {
    const controller = new AbortController();
    const options = setup({ signal: controller.signal });
    options.onEvent = (event) => {
      if (event.type === 'step' && event.step === 3) {
        controller.abort();
      }
    };
    const before = tf.memory().numTensors;

    await train(options);

    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Trainer input checks', () => {
  it('rejects zero epochs', () => {
    expect(() => new Trainer(setup({ epochs: 0 }))).toThrow('Trainer: epochs must be a positive integer, got 0.');
  });

  it('rejects a fractional maxStepsPerEpoch', () => {
    expect(() => new Trainer(setup({ maxStepsPerEpoch: 1.5 }))).toThrow(
      'Trainer: maxStepsPerEpoch must be a positive integer, got 1.5.',
    );
  });

  it('rejects both optimizer and lr', () => {
    const options = setup();
    const optimizer = new Adam(options.model.trainableVariables());

    expect(() => new Trainer({ ...options, optimizer, lr: 0.01 })).toThrow(/pass either optimizer or lr, not both/);
    optimizer.dispose();
  });

  it('rejects an optimizer over other variables', () => {
    const options = setup({ lr: undefined });
    const other = tf.variable(tf.zeros([1]));
    const optimizer = new Adam([other]);

    expect(() => new Trainer({ ...options, optimizer })).toThrow(
      /the optimizer updates 1 variables that are not the model's 2 trainable variables/,
    );
    optimizer.dispose();
    other.dispose();
  });

  it('rejects an empty training loader', () => {
    expect(() => new Trainer(setup({ trainLoader: new ExampleLoader([], 3) }))).toThrow(
      /trainLoader.length must be a positive integer number of batches, got 0/,
    );
  });

  it('rejects a loader yielding no batches', async () => {
    const options = setup({ trainLoader: new ExampleLoader([], 3, 5) });

    await expect(train(options)).rejects.toThrow(
      'Trainer: the training loader yielded no batches in epoch 1, although its length is 5.',
    );
  });

  it('rejects a variable the loss does not use', async () => {
    const options = setup();
    const unused = tf.variable(tf.zeros([3]), true, 'unused-parameter');
    const variables = [...options.model.trainableVariables(), unused];
    options.model.trainableVariables = () => variables;

    await expect(train(options)).rejects.toThrow(/variable 'unused-parameter' got no gradient/);
    unused.dispose();
  });

  it('rejects a second concurrent run', async () => {
    const trainer = new Trainer(setup({ epochs: 1 }));

    const first = trainer.run();

    await expect(trainer.run()).rejects.toThrow(/a run is already in progress/);
    await first;
    trainer.dispose();
  });
});
