import * as tf from '@tensorflow/tfjs-core';

import { Adam } from './adam.js';
import { evaluate } from './evaluate.js';
import { TrainEventEmitter } from './events.js';
import { assertGradientsRegistered } from './gradients.js';
import type { EpochEndEvent, TrainEvent, TrainEventListener } from './events.js';
import { crossEntropy } from './loss.js';
import type { BatchLike, BatchLoader, Optimizer, TrainableModel } from './types.js';

/** Number of passes over the training set, as in PyTorch's sequential-MNIST example. */
export const DEFAULT_EPOCHS = 10;

/** Options of {@link Trainer} and {@link train}. */
export interface TrainOptions {
  /** The model to train. Its `trainableVariables()` are updated in place. */
  model: TrainableModel;
  /**
   * Training batches. Each iteration is one epoch, and the trainer disposes every batch it takes.
   * Before epoch k (1-based) the trainer calls `setEpoch(k - 1)` when the loader has it, so a seeded
   * shuffle gives the same order in every run.
   */
  trainLoader: BatchLoader;
  /** Batches evaluated after each epoch for `testAccuracy`. The trainer disposes them too. */
  testLoader: AsyncIterable<BatchLike>;
  /**
   * Optimizer over exactly `model.trainableVariables()`, in that order. The caller keeps ownership.
   * Default: a new {@link Adam} with `lr`, owned and disposed by the trainer.
   */
  optimizer?: Optimizer;
  /** Learning rate of the Adam optimizer the trainer creates, not allowed together with `optimizer`. Default 0.001. */
  lr?: number;
  /** Number of epochs, a positive integer. Default {@link DEFAULT_EPOCHS}. */
  epochs?: number;
  /**
   * Ends each epoch after this many steps, a positive integer. An epoch also ends after
   * `trainLoader.length` steps or when the loader runs out. Default: the whole loader.
   */
  maxStepsPerEpoch?: number;
  /** Stops training after the current step, or during evaluation after the current batch. */
  signal?: AbortSignal;
  /** Receives every event; the same as calling `on` for each event type. */
  onEvent?: (event: TrainEvent) => void;
  /** Clock in milliseconds for the timing fields. Default `performance.now()`. */
  now?: () => number;
}

/** Outcome of {@link Trainer.run}. */
export interface TrainResult {
  /** Epochs that finished, evaluation included. */
  epochsCompleted: number;
  /** Training steps run over all epochs, including those of an epoch cut short by the signal. */
  steps: number;
  /** Whether the signal stopped training before the last epoch finished. */
  aborted: boolean;
  /** The `epoch-end` event of each finished epoch, in order. */
  history: EpochEndEvent[];
}

interface EpochTraining {
  steps: number;
  lossSum: number;
  trainMilliseconds: number;
  aborted: boolean;
}

/**
 * Trains a classifier with cross-entropy and an optimizer, evaluating test accuracy after each
 * epoch. It emits a `step` event after every step and an `epoch-end` event after every epoch,
 * and it never prints.
 *
 * One step runs the forward pass, {@link crossEntropy}, the gradients of every trainable variable
 * and one optimizer update inside `tf.tidy`, then reads the loss from the device. Only the
 * parameters and optimizer state stay allocated between steps.
 */
export class Trainer {
  readonly optimizer: Optimizer;
  readonly epochs: number;
  /** The training loader's `length`, reported in step events even when `maxStepsPerEpoch` is smaller. */
  readonly stepsPerEpoch: number;

  private readonly options: TrainOptions;
  private readonly variables: tf.Variable[];
  private readonly ownsOptimizer: boolean;
  private readonly emitter = new TrainEventEmitter();
  private readonly now: () => number;
  private running = false;

  /**
   * @throws TypeError or RangeError when an option is invalid. The message names the option.
   * @throws Error when tfjs has no gradient functions registered.
   */
  constructor(options: TrainOptions) {
    validateTrainOptions(options);
    assertGradientsRegistered();
    this.options = options;
    this.epochs = options.epochs ?? DEFAULT_EPOCHS;
    this.stepsPerEpoch = options.trainLoader.length;
    this.now = options.now ?? (() => performance.now());
    this.variables = options.model.trainableVariables();

    this.ownsOptimizer = options.optimizer === undefined;
    this.optimizer = options.optimizer ?? new Adam(this.variables, { lr: options.lr });
    checkOptimizerVariables(this.optimizer, this.variables);

    const { onEvent } = options;
    if (onEvent !== undefined) {
      this.on('step', onEvent);
      this.on('epoch-end', onEvent);
    }
  }

  /** Adds a listener for one event type and returns a function that removes it. */
  on<T extends TrainEvent['type']>(type: T, listener: TrainEventListener<T>): () => void {
    return this.emitter.on(type, listener);
  }

  /**
   * Trains for `epochs` epochs, or until the signal is aborted.
   *
   * @returns the finished epochs' summaries, with `aborted` true when the signal stopped training.
   * @throws Error when a run is already in progress, when the training loader yields no batch in
   *   an epoch, or when a variable gets no gradient. Errors from the model, loaders and listeners pass through.
   */
  async run(): Promise<TrainResult> {
    if (this.running) {
      throw new Error('Trainer.run: a run is already in progress. Await it before starting another.');
    }
    this.running = true;
    try {
      return await this.runEpochs();
    } finally {
      this.running = false;
    }
  }

  /** Disposes the optimizer if the trainer created it. The model and loaders stay with the caller. */
  dispose(): void {
    if (this.ownsOptimizer) {
      this.optimizer.dispose();
    }
  }

  private async runEpochs(): Promise<TrainResult> {
    const result: TrainResult = { epochsCompleted: 0, steps: 0, aborted: false, history: [] };

    for (let epoch = 1; epoch <= this.epochs; epoch++) {
      if (this.options.signal?.aborted) {
        return { ...result, aborted: true };
      }

      const epochStart = this.now();
      const training = await this.trainEpoch(epoch);
      result.steps += training.steps;
      if (training.aborted) {
        return { ...result, aborted: true };
      }

      const event = await this.evaluateEpoch(epoch, epochStart, training);
      if (event === undefined) {
        return { ...result, aborted: true };
      }
      result.epochsCompleted = epoch;
      result.history.push(event);
      this.emitter.emit(event);
    }

    return result;
  }

  private async trainEpoch(epoch: number): Promise<EpochTraining> {
    const { trainLoader, signal } = this.options;
    const stepLimit = Math.min(this.stepsPerEpoch, this.options.maxStepsPerEpoch ?? Infinity);
    const start = this.now();
    let steps = 0;
    let lossSum = 0;

    trainLoader.setEpoch?.(epoch - 1);
    for await (const batch of trainLoader) {
      const loss = await this.trainStepAndDispose(batch);
      steps += 1;
      lossSum += loss;
      this.emitter.emit({
        type: 'step',
        epoch,
        epochs: this.epochs,
        step: steps,
        stepsPerEpoch: this.stepsPerEpoch,
        loss,
        batchSize: batch.size,
        msPerBatch: (this.now() - start) / steps,
      });
      if (steps >= stepLimit || signal?.aborted) {
        break;
      }
    }

    if (steps === 0) {
      throw new Error(
        `Trainer: the training loader yielded no batches in epoch ${epoch}, although its length is ${this.stepsPerEpoch}.`,
      );
    }

    return { steps, lossSum, trainMilliseconds: this.now() - start, aborted: signal?.aborted ?? false };
  }

  private async trainStepAndDispose(batch: BatchLike): Promise<number> {
    let lossTensor: tf.Scalar;
    try {
      lossTensor = tf.tidy(() => this.computeLossAndUpdate(batch));
    } finally {
      batch.dispose();
    }

    try {
      const [loss] = await lossTensor.data();
      return loss ?? Number.NaN;
    } finally {
      lossTensor.dispose();
    }
  }

  /** Runs the forward and backward passes and one optimizer update. Call it inside `tf.tidy`. */
  private computeLossAndUpdate(batch: BatchLike): tf.Scalar {
    const { model } = this.options;
    const { value, grads } = tf.variableGrads(
      () => crossEntropy(model.forward(batch.images), batch.labels),
      this.variables,
    );

    const gradients = this.variables.map((variable) => {
      const gradient = grads[variable.name];
      if (gradient === undefined) {
        throw new Error(
          `Trainer: variable '${variable.name}' got no gradient because the loss does not depend on it. ` +
            'Leave it out of trainableVariables() or use it in forward().',
        );
      }
      return gradient;
    });
    this.optimizer.step(gradients);

    return value;
  }

  /** Evaluates the model after an epoch. Returns undefined when the signal stopped the evaluation. */
  private async evaluateEpoch(
    epoch: number,
    epochStart: number,
    training: EpochTraining,
  ): Promise<EpochEndEvent | undefined> {
    const { model, testLoader, signal } = this.options;
    let evaluation;
    try {
      evaluation = await evaluate(model, testLoader, { signal });
    } catch (error) {
      if (signal?.aborted && error === signal.reason) {
        return undefined;
      }
      throw error;
    }

    return {
      type: 'epoch-end',
      epoch,
      epochs: this.epochs,
      steps: training.steps,
      trainLoss: training.lossSum / training.steps,
      testAccuracy: evaluation.accuracy,
      testCorrect: evaluation.correct,
      testTotal: evaluation.total,
      seconds: (this.now() - epochStart) / 1000,
      msPerBatch: training.trainMilliseconds / training.steps,
      backend: tf.getBackend(),
    };
  }
}

/**
 * Creates a {@link Trainer}, runs it and disposes the optimizer it created.
 * Pass `onEvent` to receive the events.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const trainer = new Trainer(options);
  try {
    return await trainer.run();
  } finally {
    trainer.dispose();
  }
}

function validateTrainOptions(options: TrainOptions): void {
  checkPositiveInteger('epochs', options.epochs);
  checkPositiveInteger('maxStepsPerEpoch', options.maxStepsPerEpoch);
  if (options.optimizer !== undefined && options.lr !== undefined) {
    throw new TypeError('Trainer: pass either optimizer or lr, not both, because lr only configures the default Adam.');
  }

  const { length } = options.trainLoader;
  if (!Number.isInteger(length) || length < 1) {
    throw new RangeError(
      `Trainer: trainLoader.length must be a positive integer number of batches, got ${length}. Check that the training set is not empty.`,
    );
  }
}

function checkPositiveInteger(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new RangeError(`Trainer: ${name} must be a positive integer, got ${value}.`);
  }
}

function checkOptimizerVariables(optimizer: Optimizer, variables: readonly tf.Variable[]): void {
  const sameList =
    optimizer.variables.length === variables.length &&
    optimizer.variables.every((variable, index) => variable === variables[index]);
  if (!sameList) {
    throw new TypeError(
      `Trainer: the optimizer updates ${optimizer.variables.length} variables that are not the model's ` +
        `${variables.length} trainable variables in the same order. Create it with model.trainableVariables().`,
    );
  }
}
