/** How often PyTorch's sequential-MNIST example prints a step line, in steps. */
export const DEFAULT_LOG_EVERY_STEPS = 100;

/** Emitted after every training step, once its loss has been read from the device. */
export interface StepEvent {
  type: 'step';
  /** 1-based epoch number. */
  epoch: number;
  /** Total number of epochs in this run. */
  epochs: number;
  /** 1-based step number within the epoch. */
  step: number;
  /** Batches in one full pass over the training loader (its `length`), even when `maxStepsPerEpoch` stops the epoch early. */
  stepsPerEpoch: number;
  /** Mean cross-entropy of this batch. */
  loss: number;
  /** Number of examples in this batch. */
  batchSize: number;
  /** Mean wall-clock milliseconds per step since the epoch began, including loading each batch. */
  msPerBatch: number;
}

/** Emitted after each completed epoch, once the model has been evaluated on the test loader. */
export interface EpochEndEvent {
  type: 'epoch-end';
  /** 1-based epoch number. */
  epoch: number;
  /** Total number of epochs in this run. */
  epochs: number;
  /** Steps run in this epoch (fewer than the loader's length when `maxStepsPerEpoch` is set). */
  steps: number;
  /** Mean of the per-step losses over this epoch. */
  trainLoss: number;
  /** Fraction of test examples classified correctly, in [0, 1]. */
  testAccuracy: number;
  /** Number of test examples classified correctly. */
  testCorrect: number;
  /** Number of test examples evaluated. */
  testTotal: number;
  /** Wall-clock seconds for the whole epoch: training steps plus evaluation. */
  seconds: number;
  /** Mean wall-clock milliseconds per training step in this epoch (evaluation excluded). */
  msPerBatch: number;
  /** Name of the active tfjs backend, from `tf.getBackend()`. */
  backend: string;
}

/** Every event a {@link Trainer} emits. */
export type TrainEvent = StepEvent | EpochEndEvent;

/** The event type whose `type` field is `T`. */
export type TrainEventOf<T extends TrainEvent['type']> = Extract<TrainEvent, { type: T }>;

/** Listener for one event type. */
export type TrainEventListener<T extends TrainEvent['type']> = (event: TrainEventOf<T>) => void;

/**
 * Typed event emitter for training events. Listeners run synchronously in the order they were
 * added. An error thrown by a listener is not caught, so it ends the training run.
 */
export class TrainEventEmitter {
  private readonly listeners = new Map<TrainEvent['type'], Set<(event: TrainEvent) => void>>();

  /** Adds a listener for `type` and returns a function that removes it. */
  on<T extends TrainEvent['type']>(type: T, listener: TrainEventListener<T>): () => void {
    const untyped = listener as (event: TrainEvent) => void;
    let set = this.listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(untyped);

    return () => {
      set.delete(untyped);
    };
  }

  /** Calls every listener registered for `event.type`. */
  emit(event: TrainEvent): void {
    const set = this.listeners.get(event.type);
    if (set === undefined) {
      return;
    }
    for (const listener of [...set]) {
      listener(event);
    }
  }
}

/**
 * Formats a step the way PyTorch's sequential-MNIST example prints it, for example
 * `Epoch [1/10], Step [100/938], Loss: 0.5132`. The loss has 4 decimals, and a non-finite loss
 * prints as Python prints it (`nan`, `inf`, `-inf`).
 */
export function formatStepLine(
  event: Pick<StepEvent, 'epoch' | 'epochs' | 'step' | 'stepsPerEpoch' | 'loss'>,
): string {
  const loss = formatFixed(event.loss, 4);

  return `Epoch [${event.epoch}/${event.epochs}], Step [${event.step}/${event.stepsPerEpoch}], Loss: ${loss}`;
}

/**
 * Returns whether a step is one to print: every `every`-th step of an epoch (steps 100, 200, ...
 * with the default), as in PyTorch's example.
 *
 * @throws RangeError when `every` is not a positive integer.
 */
export function isLogStep(event: Pick<StepEvent, 'step'>, every: number = DEFAULT_LOG_EVERY_STEPS): boolean {
  if (!Number.isInteger(every) || every < 1) {
    throw new RangeError(`isLogStep: every must be a positive integer number of steps, got ${every}.`);
  }

  return event.step % every === 0;
}

function formatFixed(value: number, decimals: number): string {
  if (Number.isNaN(value)) {
    return 'nan';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? 'inf' : '-inf';
  }

  return value.toFixed(decimals);
}
