import type { NodeBackendName } from '@lstm-mnist/backend-node-gpu';

/** Settings of `lstm-mnist train`, after parsing and validation. */
export interface TrainCommandOptions {
  /** Passes over the training set. */
  epochs: number;
  /** Images per training batch. */
  batchSize: number;
  /** Adam learning rate. */
  lr: number;
  /** A batch loss above this stops training as a diverged run. */
  maxLoss: number;
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
  /** Folder for training checkpoints; undefined writes none, unless `resume` is set. */
  checkpointDir: string | undefined;
  /** Global steps between checkpoints; undefined checkpoints only at epoch ends and on Ctrl-C. */
  checkpointEvery: number | undefined;
  /** Checkpoint files kept in `checkpointDir`, newest first. */
  keepCheckpoints: number;
  /** Folder whose newest checkpoint the run continues from. */
  resume: string | undefined;
  /** MNIST mirror base URLs tried before the default mirrors, in order. */
  mirrors: string[];
  /** Options set on the command line rather than by default, so `--resume` can tell a conflicting flag from a default. */
  explicit: ReadonlySet<keyof TrainCommandOptions>;
}

/** Options that must match the checkpoint's saved configuration when resuming: they fix the model and the data order. */
export const RESUME_FIXED_OPTIONS = ['hiddenSize', 'numLayers', 'batchSize', 'seed', 'maxSteps'] as const satisfies readonly (keyof TrainCommandOptions)[];

/** The PyTorch tutorial's settings, which `train` uses unless a flag sets another value. */
export const TRAIN_DEFAULTS = {
  epochs: 10,
  batchSize: 64,
  lr: 0.001,
  maxLoss: 100,
  hiddenSize: 128,
  numLayers: 2,
  dataDir: './data',
  backend: 'auto',
  logEvery: 100,
  keepCheckpoints: 3,
} as const satisfies Partial<TrainCommandOptions>;
