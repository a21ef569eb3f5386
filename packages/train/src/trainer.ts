import * as tf from '@tensorflow/tfjs-core';

import { Adam } from './adam.js';
import { LossLimitExceededError, NonFiniteLossError, TrainingDivergedError } from './errors.js';
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
  /**
   * Position of the checkpoint a resumed run continues from. With `epochComplete`, training goes on
   * at step 1 of the next epoch. Otherwise it goes on at step `step + 1` of `epoch`, which needs a
   * loader with `setEpoch` so that it skips the steps already run.
   * The model and optimizer must already hold the checkpoint's state. Default: a new run.
   */
  resumeFrom?: TrainingPosition;
  /**
   * Called between steps with the position reached, and awaited before the next step, so the caller
   * can write a checkpoint of the model and optimizer. It runs every `checkpointEverySteps` steps
   * (counted over all epochs), after each epoch's evaluation and `epoch-end` event, and once when the
   * signal stops training. Before each call the trainer checks that every trainable variable is
   * finite, and throws {@link TrainingDivergedError} instead of calling it when one is not.
   */
  onCheckpoint?: (position: TrainingPosition, reason: CheckpointReason) => Promise<void> | void;
  /** Steps between `onCheckpoint` calls, a positive integer. Default: only at epoch ends and on abort. */
  checkpointEverySteps?: number;
  /**
   * A step whose loss is above this stops training with {@link LossLimitExceededError}, as a NaN or
   * infinite loss stops it with {@link NonFiniteLossError}. A too-high learning rate can leave the
   * loss finite but in the thousands, where the model has stopped learning. Default: no limit.
   */
  maxLoss?: number;
  /** Stops training after the current step, or during evaluation after the current batch. */
  signal?: AbortSignal;
  /**
   * Awaited after every step, before the trainer reads `signal`. A step awaits only promises, which
   * run as microtasks, so without it a host's event loop gets no turn during an epoch: Node, for one,
   * then runs no signal handler. In Node pass `() => new Promise((resolve) => setImmediate(resolve))`.
   * Default: none.
   */
  yieldBetweenSteps?: () => Promise<void>;
  /** Receives every event; the same as calling `on` for each event type. */
  onEvent?: (event: TrainEvent) => void;
  /** Clock in milliseconds for the timing fields. Default `performance.now()`. */
  now?: () => number;
}

/** A point between two training steps, as a checkpoint records it. */
export interface TrainingPosition {
  /** 1-based epoch of the last step run. */
  epoch: number;
  /** Steps run in that epoch; 0 only before the first step of a run. */
  step: number;
  /** Steps run over all epochs: the optimizer's update count. */
  globalStep: number;
  /** Sum of the losses of the `step` steps of this epoch, so a resumed epoch reports the whole epoch's mean loss. */
  epochLossSum: number;
  /** Whether the epoch's evaluation finished, so training goes on with the next epoch. */
  epochComplete: boolean;
}

/** Cause of a {@link TrainOptions.onCheckpoint} call: a step count, an epoch end or an abort. */
export type CheckpointReason = 'step' | 'epoch-end' | 'abort';

/** Outcome of {@link Trainer.run}. */
export interface TrainResult {
  /** Epochs that finished, evaluation included, counting those finished before a resume. */
  epochsCompleted: number;
  /** Training steps run by this call over all epochs, including those of an epoch cut short by the signal. */
  steps: number;
  /** Position where training stopped: after the last epoch, or after the step the signal stopped. */
  position: TrainingPosition;
  /** Whether the signal stopped training before the last epoch finished. */
  aborted: boolean;
  /** The `epoch-end` event of each finished epoch, in order. */
  history: EpochEndEvent[];
}

interface EpochTraining {
  /** Steps of the epoch, those run before a resume included. */
  steps: number;
  /** Steps run by this call. */
  stepsRun: number;
  lossSum: number;
  trainMilliseconds: number;
  aborted: boolean;
}

const START_POSITION: TrainingPosition = { epoch: 0, step: 0, globalStep: 0, epochLossSum: 0, epochComplete: true };

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
  private current: TrainingPosition;
  private lastCheckpoint: TrainingPosition | undefined;

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
    this.current = { ...(options.resumeFrom ?? START_POSITION) };
    this.lastCheckpoint = options.resumeFrom;

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
   * @throws NonFiniteLossError when a step's loss is NaN or infinite, LossLimitExceededError when it
   *   is above `maxLoss`, and TrainingDivergedError when a
   *   variable is not finite at a checkpoint.
   * @throws Error when a run is already in progress, when the training loader yields no batch in
   *   an epoch, or when a variable gets no gradient. Errors from the model, loaders, listeners and
   *   `onCheckpoint` pass through.
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

  /** The position after the last finished step or evaluation; a resumed trainer starts at `resumeFrom`. */
  get position(): TrainingPosition {
    return { ...this.current };
  }

  /** Disposes the optimizer if the trainer created it. The model and loaders stay with the caller. */
  dispose(): void {
    if (this.ownsOptimizer) {
      this.optimizer.dispose();
    }
  }

  private async runEpochs(): Promise<TrainResult> {
    const resume = this.options.resumeFrom;
    let firstEpoch = 1;
    if (resume !== undefined) {
      firstEpoch = resume.epochComplete ? resume.epoch + 1 : resume.epoch;
    }
    const result: TrainResult = { epochsCompleted: firstEpoch - 1, steps: 0, aborted: false, position: this.position, history: [] };
    const stop = async (): Promise<TrainResult> => {
      await this.checkpoint('abort');
      return { ...result, aborted: true, position: this.position };
    };

    for (let epoch = firstEpoch; epoch <= this.epochs; epoch++) {
      if (this.options.signal?.aborted) {
        return stop();
      }

      const resumed = resume !== undefined && epoch === resume.epoch && !resume.epochComplete;
      const epochStart = this.now();
      const training = await this.trainEpoch(epoch, resumed ? resume : undefined);
      result.steps += training.stepsRun;
      if (training.aborted) {
        return stop();
      }

      const event = await this.evaluateEpoch(epoch, epochStart, training);
      if (event === undefined) {
        return stop();
      }
      result.epochsCompleted = epoch;
      result.history.push(event);
      this.current = { ...this.current, epochComplete: true };
      this.emitter.emit(event);
      await this.checkpoint('epoch-end');
    }

    return { ...result, position: this.position };
  }

  /** Trains one epoch; `resume` gives the steps and loss sum of the epoch run before a resume. */
  private async trainEpoch(epoch: number, resume: TrainingPosition | undefined): Promise<EpochTraining> {
    const { trainLoader, signal } = this.options;
    const stepLimit = Math.min(this.stepsPerEpoch, this.options.maxStepsPerEpoch ?? Infinity);
    const start = this.now();
    const skipped = resume?.step ?? 0;
    let steps = skipped;
    let lossSum = resume?.epochLossSum ?? 0;

    this.current = { epoch, step: steps, globalStep: this.current.globalStep, epochLossSum: lossSum, epochComplete: false };
    if (steps < stepLimit) {
      this.startLoaderEpoch(epoch, skipped);
      for await (const batch of trainLoader) {
        const loss = await this.trainStepAndDispose(batch);
        steps += 1;
        if (!Number.isFinite(loss)) {
          throw new NonFiniteLossError(epoch, steps, loss);
        }
        if (loss > (this.options.maxLoss ?? Infinity)) {
          throw new LossLimitExceededError(epoch, steps, loss, this.options.maxLoss as number);
        }
        lossSum += loss;
        this.current = { epoch, step: steps, globalStep: this.current.globalStep + 1, epochLossSum: lossSum, epochComplete: false };
        this.emitter.emit({
          type: 'step',
          epoch,
          epochs: this.epochs,
          step: steps,
          stepsPerEpoch: this.stepsPerEpoch,
          loss,
          batchSize: batch.size,
          msPerBatch: (this.now() - start) / (steps - skipped),
        });
        await this.options.yieldBetweenSteps?.();
        if (steps >= stepLimit || signal?.aborted) {
          break;
        }
        await this.checkpointIfDue();
      }
    }

    if (steps === 0) {
      throw new Error(
        `Trainer: the training loader yielded no batches in epoch ${epoch}, although its length is ${this.stepsPerEpoch}.`,
      );
    }

    // The epoch's last step is checkpointed here, once, so the trainer never skips a due checkpoint.
    if (!(signal?.aborted ?? false) && steps > skipped) {
      await this.checkpointIfDue();
    }
    const stepsRun = steps - skipped;
    return { steps, stepsRun, lossSum, trainMilliseconds: this.now() - start, aborted: signal?.aborted ?? false };
  }

  /** Sets the loader's shuffle epoch and, on a mid-epoch resume, the batch to start at. */
  private startLoaderEpoch(epoch: number, skipped: number): void {
    const { trainLoader } = this.options;
    if (skipped === 0) {
      trainLoader.setEpoch?.(epoch - 1);
      return;
    }
    if (trainLoader.setEpoch === undefined) {
      throw new TypeError(
        `Trainer: resuming at step ${skipped + 1} of epoch ${epoch} needs a training loader with setEpoch(epoch, startBatch), ` +
          'such as DataLoader, to skip the steps already run.',
      );
    }
    trainLoader.setEpoch(epoch - 1, skipped);
  }

  private async checkpointIfDue(): Promise<void> {
    const every = this.options.checkpointEverySteps;
    if (every !== undefined && this.current.globalStep % every === 0) {
      await this.checkpoint('step');
    }
  }

  /** Calls `onCheckpoint` unless the position is the one last checkpointed (or resumed from). */
  private async checkpoint(reason: CheckpointReason): Promise<void> {
    const { onCheckpoint } = this.options;
    const position = this.position;
    if (onCheckpoint === undefined || position.globalStep === 0 || samePosition(position, this.lastCheckpoint)) {
      return;
    }

    await this.assertVariablesFinite();
    await onCheckpoint(position, reason);
    this.lastCheckpoint = position;
  }

  /** @throws TrainingDivergedError naming the first trainable variable with a NaN or infinite value. */
  private async assertVariablesFinite(): Promise<void> {
    for (const variable of this.variables) {
      const allFinite = tf.tidy(() => tf.all(tf.isFinite(variable)));
      const [finite] = await allFinite.data();
      allFinite.dispose();
      if (finite !== 1) {
        const { epoch, step } = this.current;
        throw new TrainingDivergedError(
          `Training diverged: variable '${variable.name}' contains NaN or infinite values after epoch ${epoch}, step ${step}. ` +
            'The learning rate is most likely too high. Lower it and start again, or resume from an earlier checkpoint.',
          epoch,
          step,
        );
      }
    }
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
      msPerBatch: training.stepsRun === 0 ? 0 : training.trainMilliseconds / training.stepsRun,
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

function samePosition(a: TrainingPosition, b: TrainingPosition | undefined): boolean {
  return b !== undefined && a.globalStep === b.globalStep && a.epoch === b.epoch && a.epochComplete === b.epochComplete;
}

function validateTrainOptions(options: TrainOptions): void {
  checkPositiveInteger('epochs', options.epochs);
  checkPositiveInteger('maxStepsPerEpoch', options.maxStepsPerEpoch);
  checkPositiveInteger('checkpointEverySteps', options.checkpointEverySteps);
  if (options.maxLoss !== undefined && !(options.maxLoss > 0)) {
    throw new RangeError(`Trainer: maxLoss must be a positive number, got ${options.maxLoss}.`);
  }
  if (options.resumeFrom !== undefined) {
    validateResumePosition(options.resumeFrom, options);
  }
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

function validateResumePosition(position: TrainingPosition, options: TrainOptions): void {
  const { epoch, step, globalStep, epochLossSum } = position;
  if (!Number.isInteger(epoch) || epoch < 1 || !Number.isInteger(step) || step < 0 || !Number.isInteger(globalStep) || globalStep < step) {
    throw new RangeError(
      `Trainer: resumeFrom must have a positive integer epoch and integer step and globalStep with 0 <= step <= globalStep, ` +
        `got epoch ${epoch}, step ${step}, globalStep ${globalStep}.`,
    );
  }
  if (!Number.isFinite(epochLossSum)) {
    throw new RangeError(`Trainer: resumeFrom.epochLossSum must be finite, got ${epochLossSum}.`);
  }

  const stepLimit = Math.min(options.trainLoader.length, options.maxStepsPerEpoch ?? Infinity);
  if (step > stepLimit) {
    throw new RangeError(
      `Trainer: resumeFrom.step ${step} is past the ${stepLimit} steps of an epoch. ` +
        'Resume with the batch size and steps per epoch of the run that wrote the checkpoint.',
    );
  }
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  if (epoch > epochs) {
    throw new RangeError(`Trainer: resumeFrom.epoch ${epoch} is past the run's ${epochs} epochs. Raise epochs to train further.`);
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
