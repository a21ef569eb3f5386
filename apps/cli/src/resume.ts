import { rename } from 'node:fs/promises';
import { resolve } from 'node:path';

import { NODE_BACKENDS, type NodeBackendName } from '@lstm-mnist/backend-node-gpu';
import type { JsonValue, TrainingCheckpoint } from '@lstm-mnist/train';
import { CheckpointNotFoundError, loadLatestCheckpoint, type LoadedCheckpoint } from '@lstm-mnist/train/node';

import { RESUME_FIXED_OPTIONS, type TrainCommandOptions } from './commands/train-options.js';
import { UsageError, UserFacingError } from './user-facing-error.js';

/** Flag of each option that a checkpoint fixes, for messages. */
const FLAG_NAMES: Record<(typeof RESUME_FIXED_OPTIONS)[number] | 'lr' | 'epochs', string> = {
  hiddenSize: '--hidden-size',
  numLayers: '--num-layers',
  batchSize: '--batch-size',
  seed: '--seed',
  maxSteps: '--max-steps',
  lr: '--lr',
  epochs: '--epochs',
};

/** The run configuration a checkpoint records, in its `config` field. */
export interface SavedRunConfig {
  hiddenSize: number;
  numLayers: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Null when epochs were not cut short. */
  maxSteps: number | null;
  epochs: number;
  /** Backend that wrote the checkpoint; only a run on the same backend repeats it bit for bit. */
  backend: string;
  /** Steps between printed step lines. */
  logEvery: number;
  /** Absolute path of the MNIST folder. */
  dataDir: string;
  /** Absolute path of `--out`, or null. */
  out: string | null;
  /** Absolute path of `--metrics-file`, or null. */
  metricsFile: string | null;
}

/** Builds the configuration to store in each checkpoint of a run. */
export function savedRunConfig(options: TrainCommandOptions, seed: number, backend: string): SavedRunConfig & Record<string, JsonValue> {
  return {
    hiddenSize: options.hiddenSize,
    numLayers: options.numLayers,
    batchSize: options.batchSize,
    lr: options.lr,
    seed,
    maxSteps: options.maxSteps ?? null,
    epochs: options.epochs,
    backend,
    logEvery: options.logEvery,
    dataDir: resolve(options.dataDir),
    out: options.out === undefined ? null : resolve(options.out),
    metricsFile: options.metricsFile === undefined ? null : resolve(options.metricsFile),
  };
}

/** A checkpoint to resume and the settings the run continues with. */
export interface ResumePlan {
  loaded: LoadedCheckpoint;
  saved: SavedRunConfig;
  /** The command's options with the checkpoint's settings filled in. */
  options: TrainCommandOptions;
  seed: number;
  /** Lines to print about changed settings and skipped files. */
  notes: string[];
}

/**
 * Reads the newest readable checkpoint in `directory` and merges its settings into the options.
 * Flags not given on the command line take the saved values, including the data folder and the
 * `--out` and `--metrics-file` paths, so `train --resume DIR` alone continues the same run.
 * Unreadable newer checkpoint files are renamed to `<name>.unreadable` so later runs skip them.
 *
 * @throws UsageError when a flag given on the command line conflicts with the saved settings,
 *   naming both values, or when `--epochs` is below the epochs already finished.
 * @throws UserFacingError when the folder contains no readable checkpoint.
 */
export async function planResume(options: TrainCommandOptions, directory: string): Promise<ResumePlan> {
  const loaded = await loadCheckpointFolder(directory);
  const notes: string[] = [];
  for (const entry of loaded.unreadable) {
    await rename(entry.path, `${entry.path}.unreadable`);
    notes.push(`Skipped ${entry.path}, renamed to ${entry.path}.unreadable: ${entry.error.message}`);
  }

  const saved = readSavedConfig(loaded.checkpoint, loaded.path);
  const merged = mergeOptions(options, saved, loaded.checkpoint, notes);
  return { loaded, saved, options: merged, seed: saved.seed, notes };
}

async function loadCheckpointFolder(directory: string): Promise<LoadedCheckpoint> {
  try {
    return await loadLatestCheckpoint(directory);
  } catch (error) {
    if (error instanceof CheckpointNotFoundError) {
      throw new UserFacingError(`--resume ${directory}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

function mergeOptions(options: TrainCommandOptions, saved: SavedRunConfig, checkpoint: TrainingCheckpoint, notes: string[]): TrainCommandOptions {
  for (const key of RESUME_FIXED_OPTIONS) {
    const savedValue = saved[key] ?? undefined;
    if (options.explicit.has(key) && options[key] !== savedValue) {
      throw new UsageError(
        `${FLAG_NAMES[key]} ${options[key]} conflicts with the checkpoint to resume, which was trained with ${FLAG_NAMES[key]} ${savedValue ?? '(not set)'}. ` +
          `Drop ${FLAG_NAMES[key]} to continue that run, or start a new run without --resume.`,
      );
    }
  }

  const { position } = checkpoint;
  const finished = position.epochComplete ? position.epoch : position.epoch - 1;
  const epochs = options.explicit.has('epochs') ? options.epochs : saved.epochs;
  if (epochs < position.epoch) {
    throw new UsageError(
      `--epochs ${epochs} is below the ${position.epoch} epochs the checkpoint has reached. Pass --epochs ${position.epoch} or more.`,
    );
  }
  if (epochs !== saved.epochs) {
    notes.push(`Epochs: ${epochs} (the checkpoint's run had ${saved.epochs}).`);
  }
  const lr = options.explicit.has('lr') ? options.lr : saved.lr;
  if (lr !== saved.lr) {
    notes.push(`Learning rate: ${lr} (the checkpoint was trained with ${saved.lr}); Adam's moments and step count carry over.`);
  }
  const backend = options.explicit.has('backend') || !isBackendName(saved.backend) ? options.backend : saved.backend;
  if (finished >= epochs && position.epochComplete) {
    notes.push(`The checkpoint has finished ${epochs === 1 ? 'its only epoch' : `all ${epochs} epochs`}: nothing to train. Pass --epochs ${epochs + 1} or more to train further.`);
  }

  return {
    ...options,
    hiddenSize: saved.hiddenSize,
    numLayers: saved.numLayers,
    batchSize: saved.batchSize,
    seed: saved.seed,
    maxSteps: saved.maxSteps ?? undefined,
    epochs,
    lr,
    backend,
    logEvery: options.explicit.has('logEvery') ? options.logEvery : saved.logEvery,
    dataDir: options.explicit.has('dataDir') ? options.dataDir : saved.dataDir,
    out: options.explicit.has('out') ? options.out : (saved.out ?? undefined),
    metricsFile: options.explicit.has('metricsFile') ? options.metricsFile : (saved.metricsFile ?? undefined),
  };
}

function optionalString(value: JsonValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

function isBackendName(name: string): name is NodeBackendName {
  return (NODE_BACKENDS as readonly string[]).includes(name);
}

function readSavedConfig(checkpoint: TrainingCheckpoint, path: string): SavedRunConfig {
  const { config } = checkpoint;
  const integer = (key: keyof SavedRunConfig): number => {
    const value = config[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new UserFacingError(`${path}: the checkpoint's config.${key} is ${JSON.stringify(value)}, expected a non-negative integer. Resume from a checkpoint written by lstm-mnist train.`);
    }
    return value;
  };
  const lr = config['lr'];
  if (typeof lr !== 'number' || !(lr > 0)) {
    throw new UserFacingError(`${path}: the checkpoint's config.lr is ${JSON.stringify(lr)}, expected a number greater than 0.`);
  }

  return {
    hiddenSize: integer('hiddenSize'),
    numLayers: integer('numLayers'),
    batchSize: integer('batchSize'),
    lr,
    seed: integer('seed'),
    maxSteps: config['maxSteps'] === null ? null : integer('maxSteps'),
    epochs: integer('epochs'),
    backend: typeof config['backend'] === 'string' ? config['backend'] : 'unknown',
    logEvery: integer('logEvery'),
    dataDir: typeof config['dataDir'] === 'string' ? config['dataDir'] : resolve('data'),
    out: optionalString(config['out']),
    metricsFile: optionalString(config['metricsFile']),
  };
}

/** Quotes a path for a shell command line when it contains characters a shell would split or expand. */
export function shellQuote(path: string): string {
  return /^[\w./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
