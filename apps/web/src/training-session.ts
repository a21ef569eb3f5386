import { Compose, DataLoader, MNIST_MEAN, MNIST_STD, type MnistDataset, Normalize, ToTensor } from '@lstm-mnist/data';
import { LSTMModel } from '@lstm-mnist/model';
import { type BatchLike, type BatchLoader, type TrainEvent, type TrainResult, Trainer } from '@lstm-mnist/train';

/** Batch size for evaluation on the test set; it does not change the result. */
export const EVAL_BATCH_SIZE = 1000;

/** Hyperparameters from the form; the defaults are the PyTorch tutorial's. */
export interface TrainSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  hiddenSize: number;
  numLayers: number;
  /** Batches per epoch at most, for short runs; undefined for whole epochs. */
  maxSteps: number | undefined;
  /** Seed of the weights and the shuffle; undefined for a random one. */
  seed: number | undefined;
}

export const DEFAULT_TRAIN_SETTINGS: TrainSettings = {
  epochs: 10,
  batchSize: 64,
  lr: 0.001,
  hiddenSize: 128,
  numLayers: 2,
  maxSteps: undefined,
  seed: undefined,
};

/** Creates the transform the CLI applies: `ToTensor` then `Normalize(0.1307, 0.3081)`. */
export function mnistTransform(): Compose {
  return new Compose([new ToTensor(), new Normalize(MNIST_MEAN, MNIST_STD)]);
}

/**
 * Gives the browser a chance to render and handle input. A message is used because nested `setTimeout`
 * calls are clamped to at least 4 ms by the HTML standard, and throttled further in background tabs.
 */
export function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(undefined);
  });
}

/** Pause, resume and stop for a running training, checked between steps. */
export class RunControl {
  readonly abort = new AbortController();
  private resumeWaiters: (() => void)[] = [];
  private pausedFlag = false;
  /** `performance.now()` when the latest batch was handed to the trainer. */
  batchStartedAt = 0;

  get paused(): boolean {
    return this.pausedFlag;
  }

  pause(): void {
    this.pausedFlag = true;
  }

  resume(): void {
    this.pausedFlag = false;
    for (const wake of this.resumeWaiters.splice(0)) wake();
  }

  /** Stops after the current step; a paused run resumes for that one step. */
  stop(): void {
    this.abort.abort();
    this.resume();
  }

  /** Yields to the browser, then waits while paused. */
  async checkpoint(): Promise<void> {
    await yieldToBrowser();
    while (this.pausedFlag && !this.abort.signal.aborted) {
      await new Promise<void>((resolve) => this.resumeWaiters.push(resolve));
    }
    this.batchStartedAt = performance.now();
  }
}

/**
 * Wraps a loader so that each batch waits for {@link RunControl.checkpoint}, which keeps the page responsive.
 * NOTE: training stays on the page's main thread, so input still waits while one step runs (about a
 * second for the default model on WASM). Moving the trainer into a Web Worker would remove that wait.
 */
export class ControlledLoader implements BatchLoader {
  constructor(
    private readonly inner: DataLoader,
    private readonly control: RunControl,
  ) {}

  get length(): number {
    return this.inner.length;
  }

  setEpoch(epoch: number): void {
    this.inner.setEpoch(epoch);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<BatchLike> {
    for await (const batch of this.inner) {
      await this.control.checkpoint();
      yield batch;
    }
  }
}

/** A running training: its model, its control, and the promise of its result. */
export interface TrainingRun {
  model: LSTMModel;
  control: RunControl;
  done: Promise<TrainResult>;
}

/**
 * Creates a model with the settings and trains it on `train`, evaluating on `test` after each epoch.
 * The caller owns the returned model. Events arrive through `onEvent`.
 */
export function startTraining(
  data: { train: MnistDataset; test: MnistDataset },
  settings: TrainSettings,
  onEvent: (event: TrainEvent) => void,
): TrainingRun {
  const control = new RunControl();
  const model = LSTMModel.create({ hiddenSize: settings.hiddenSize, numLayers: settings.numLayers }, { seed: settings.seed });
  const transform = mnistTransform();
  const trainLoader = new DataLoader(data.train, { batchSize: settings.batchSize, shuffle: true, seed: settings.seed, transform });
  const testLoader = new DataLoader(data.test, { batchSize: EVAL_BATCH_SIZE, transform });

  const trainer = new Trainer({
    model,
    trainLoader: new ControlledLoader(trainLoader, control),
    testLoader: new ControlledLoader(testLoader, control),
    lr: settings.lr,
    epochs: settings.epochs,
    maxStepsPerEpoch: settings.maxSteps,
    signal: control.abort.signal,
    onEvent,
  });
  const done = trainer.run().finally(() => trainer.dispose());
  return { model, control, done };
}
