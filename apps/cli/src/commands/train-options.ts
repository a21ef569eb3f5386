import type { NodeBackendName } from '@lstm-mnist/backend-node-gpu';

/** Settings of `lstm-mnist train`, after parsing and validation. */
export interface TrainCommandOptions {
  /** Passes over the training set. */
  epochs: number;
  /** Images per training batch. */
  batchSize: number;
  /** Adam learning rate. */
  lr: number;
  /** LSTM units per layer. */
  hiddenSize: number;
  /** Stacked LSTM layers. */
  numLayers: number;
  /** Seed for initialisation and shuffling; undefined picks one at random and prints it. */
  seed: number | undefined;
  /** Folder holding `MNIST/raw/`. */
  dataDir: string;
  /** False forbids fetching MNIST when it is missing from `dataDir`. */
  download: boolean;
  /** Backend to force, or `auto`. */
  backend: NodeBackendName;
  /** Batches per epoch before the epoch is cut short; undefined runs whole epochs. */
  maxSteps: number | undefined;
  /** Print the step line every this many batches. */
  logEvery: number;
  /** Folder for the trained model in the tfjs layers format. */
  out: string | undefined;
  /** JSON Lines file for step and epoch metrics. */
  metricsFile: string | undefined;
}

/** The PyTorch tutorial's settings, which `train` uses unless a flag sets another value. */
export const TRAIN_DEFAULTS = {
  epochs: 10,
  batchSize: 64,
  lr: 0.001,
  hiddenSize: 128,
  numLayers: 2,
  dataDir: './data',
  backend: 'auto',
  logEvery: 100,
} as const satisfies Partial<TrainCommandOptions>;
