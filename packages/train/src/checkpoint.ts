/**
 * The training checkpoint format: one safetensors file that contains the model's parameters, Adam's
 * moments and, in the `__metadata__` header, a JSON document with the position, the data order,
 * Adam's step count and the run's configuration.
 *
 * Tensor names:
 * - `model.<name>`: one per model parameter, float32, named and laid out as the model's state dict
 *   (`LSTMModel.stateDict()` uses PyTorch's names and layouts).
 * - `optimizer.exp_avg.<i>` and `optimizer.exp_avg_sq.<i>`: Adam's first and second moments of the
 *   i-th trainable variable (0-based, in `trainableVariables()` order), float32 with that variable's shape.
 *
 * Metadata keys: `format` ({@link CHECKPOINT_FORMAT}), `format_version` and `checkpoint`, the JSON
 * document of {@link CheckpointMetadata}.
 */
import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors, encodeSafetensors, SafetensorsFormatError, type SafetensorsTensor } from '@lstm-mnist/model';

import type { AdamState } from './adam.js';
import type { TrainingPosition } from './trainer.js';

/** Value of the `format` metadata key. */
export const CHECKPOINT_FORMAT = 'lstm-mnist-training-checkpoint';
/** Version this code writes and reads; a file of another version is rejected. */
export const CHECKPOINT_FORMAT_VERSION = 1;

const MODEL_PREFIX = 'model.';
const FIRST_MOMENT_PREFIX = 'optimizer.exp_avg.';
const SECOND_MOMENT_PREFIX = 'optimizer.exp_avg_sq.';

/** A JSON value, as the run configuration holds. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The data order's random state: each epoch's order is a function of `seed` and the 0-based epoch index. */
export interface DataOrderState {
  /** Seed of the training loader's shuffle, an integer in [0, 2^32 - 1]. */
  seed: number;
  /** Training batch size, which fixes the batches a resumed epoch skips. */
  batchSize: number;
}

/** A float32 tensor's values copied off the device, in row-major order. */
export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

/** Adam's state with its moments copied off the device. */
export interface StoredAdamState {
  stepCount: number;
  /** One per trainable variable, in `trainableVariables()` order, with that variable's shape. */
  firstMoments: StoredTensor[];
  secondMoments: StoredTensor[];
}

/**
 * Everything a training run needs to continue exactly where it stopped. It contains plain arrays, not
 * tensors, so it can be decoded before a tfjs backend is chosen and needs no disposing.
 */
export interface TrainingCheckpoint {
  position: TrainingPosition;
  dataOrder: DataOrderState;
  /** The run's settings as the application recorded them, such as the model size and learning rate. */
  config: Record<string, JsonValue>;
  /** Model parameters by state-dict name. */
  model: Map<string, StoredTensor>;
  /** Adam's step count and moments. */
  optimizer: StoredAdamState;
  /** ISO 8601 time the checkpoint was made. */
  createdAt: string;
}

/** The non-tensor part of a checkpoint, stored as JSON in the safetensors metadata. */
export interface CheckpointMetadata {
  position: TrainingPosition;
  dataOrder: DataOrderState;
  config: Record<string, JsonValue>;
  optimizer: { type: 'adam'; stepCount: number; variables: number };
  createdAt: string;
}

/** Thrown for bytes that are not a valid checkpoint of this version. `field` names the part at fault. */
export class CheckpointFormatError extends Error {
  override readonly name = 'CheckpointFormatError';

  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/**
 * Encodes a checkpoint into safetensors bytes.
 *
 * @throws CheckpointFormatError when a tensor contains NaN or infinite values, because such a
 *   checkpoint cannot continue training.
 */
export function encodeCheckpoint(checkpoint: TrainingCheckpoint): Uint8Array {
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, tensor] of checkpoint.model) {
    tensors.set(`${MODEL_PREFIX}${name}`, toSafetensor(`${MODEL_PREFIX}${name}`, tensor));
  }
  checkpoint.optimizer.firstMoments.forEach((moment, index) => {
    tensors.set(`${FIRST_MOMENT_PREFIX}${index}`, toSafetensor(`${FIRST_MOMENT_PREFIX}${index}`, moment));
  });
  checkpoint.optimizer.secondMoments.forEach((moment, index) => {
    tensors.set(`${SECOND_MOMENT_PREFIX}${index}`, toSafetensor(`${SECOND_MOMENT_PREFIX}${index}`, moment));
  });

  const metadata: CheckpointMetadata = {
    position: checkpoint.position,
    dataOrder: checkpoint.dataOrder,
    config: checkpoint.config,
    optimizer: { type: 'adam', stepCount: checkpoint.optimizer.stepCount, variables: checkpoint.optimizer.firstMoments.length },
    createdAt: checkpoint.createdAt,
  };
  return encodeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_FORMAT_VERSION),
    checkpoint: JSON.stringify(metadata),
  });
}

/**
 * Decodes bytes written by {@link encodeCheckpoint}. It creates no tensors, so no tfjs backend is needed.
 *
 * @throws CheckpointFormatError naming the field at fault: a truncated or non-safetensors file, another
 *   format or version, a missing or invalid metadata field, a missing moment, or a non-finite tensor.
 */
export function decodeCheckpoint(bytes: Uint8Array): TrainingCheckpoint {
  const { tensors, metadata } = decodeContainer(bytes);
  const document = parseMetadata(metadata);

  for (const [name, tensor] of tensors) {
    checkStoredTensor(name, tensor);
  }
  const model = new Map<string, SafetensorsTensor>();
  for (const [name, tensor] of tensors) {
    if (name.startsWith(MODEL_PREFIX)) model.set(name.slice(MODEL_PREFIX.length), tensor);
  }
  if (model.size === 0) {
    throw new CheckpointFormatError('Invalid checkpoint: it contains no model parameters (no tensor named model.*).', 'model');
  }
  const firstMoments = readMoments(tensors, FIRST_MOMENT_PREFIX, document.optimizer.variables);
  const secondMoments = readMoments(tensors, SECOND_MOMENT_PREFIX, document.optimizer.variables);

  return {
    position: document.position,
    dataOrder: document.dataOrder,
    config: document.config,
    model: new Map([...model].map(([name, tensor]) => [name, toStored(tensor)])),
    optimizer: {
      stepCount: document.optimizer.stepCount,
      firstMoments: firstMoments.map(toStored),
      secondMoments: secondMoments.map(toStored),
    },
    createdAt: document.createdAt,
  };
}

function toSafetensor(name: string, tensor: StoredTensor): SafetensorsTensor {
  checkFinite(name, tensor.data, 'Cannot write checkpoint');
  return { dtype: 'F32', shape: [...tensor.shape], data: tensor.data };
}

function toStored(tensor: SafetensorsTensor): StoredTensor {
  return { shape: tensor.shape, data: tensor.data as Float32Array };
}

/** Copies a float32 tensor off the device and disposes it. */
function readAndDispose(name: string, tensor: tf.Tensor): StoredTensor {
  try {
    if (tensor.dtype !== 'float32') {
      throw new CheckpointFormatError(`Cannot capture checkpoint tensor ${name}: expected dtype float32, got ${tensor.dtype}.`, name);
    }
    return { shape: [...tensor.shape], data: Float32Array.from(tensor.dataSync() as Float32Array) };
  } finally {
    tensor.dispose();
  }
}

function toTensor(tensor: StoredTensor): tf.Tensor {
  return tf.tensor(tensor.data, tensor.shape, 'float32');
}

function checkStoredTensor(name: string, tensor: SafetensorsTensor): void {
  if (tensor.dtype !== 'F32') {
    throw new CheckpointFormatError(`Invalid checkpoint tensor ${name}: expected dtype F32, got ${tensor.dtype}.`, name);
  }
  checkFinite(name, tensor.data, 'Invalid checkpoint');
}

function checkFinite(name: string, data: ArrayLike<number>, prefix: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i] as number)) {
      throw new CheckpointFormatError(
        `${prefix} tensor ${name}: element ${i} is ${data[i]}, and a checkpoint must contain only finite values.`,
        name,
      );
    }
  }
}

function decodeContainer(bytes: Uint8Array): ReturnType<typeof decodeSafetensors> {
  try {
    return decodeSafetensors(bytes);
  } catch (error) {
    if (error instanceof SafetensorsFormatError || error instanceof TypeError) {
      throw new CheckpointFormatError(`Invalid checkpoint: ${error.message}`, error instanceof SafetensorsFormatError ? (error.tensorName ?? 'file') : 'file');
    }
    throw error;
  }
}

function readMoments(tensors: Map<string, SafetensorsTensor>, prefix: string, count: number): SafetensorsTensor[] {
  return Array.from({ length: count }, (_, index) => {
    const tensor = tensors.get(`${prefix}${index}`);
    if (tensor === undefined) {
      throw new CheckpointFormatError(
        `Invalid checkpoint: tensor ${prefix}${index} is missing, but the metadata lists ${count} optimizer variables.`,
        `${prefix}${index}`,
      );
    }
    return tensor;
  });
}

function parseMetadata(metadata: Record<string, string>): CheckpointMetadata {
  if (metadata['format'] !== CHECKPOINT_FORMAT) {
    throw new CheckpointFormatError(
      `Invalid checkpoint: metadata field format is ${JSON.stringify(metadata['format'])}, expected "${CHECKPOINT_FORMAT}". ` +
        'The file is not a training checkpoint of this program.',
      'format',
    );
  }
  if (metadata['format_version'] !== String(CHECKPOINT_FORMAT_VERSION)) {
    throw new CheckpointFormatError(
      `Unsupported checkpoint format_version ${JSON.stringify(metadata['format_version'])}: this version reads only ${CHECKPOINT_FORMAT_VERSION}.`,
      'format_version',
    );
  }

  let document: unknown;
  try {
    document = JSON.parse(metadata['checkpoint'] ?? '');
  } catch (error) {
    throw new CheckpointFormatError(`Invalid checkpoint: metadata field checkpoint is not JSON (${(error as Error).message}).`, 'checkpoint');
  }
  return validateMetadata(document);
}

function validateMetadata(document: unknown): CheckpointMetadata {
  const root = requireObject(document, 'checkpoint');
  const position = requireObject(root['position'], 'position');
  const dataOrder = requireObject(root['dataOrder'], 'dataOrder');
  const optimizer = requireObject(root['optimizer'], 'optimizer');
  const config = requireObject(root['config'], 'config');
  if (optimizer['type'] !== 'adam') {
    throw new CheckpointFormatError(`Invalid checkpoint: optimizer.type is ${JSON.stringify(optimizer['type'])}, expected "adam".`, 'optimizer.type');
  }
  if (typeof root['createdAt'] !== 'string') {
    throw new CheckpointFormatError('Invalid checkpoint: createdAt is missing or not a string.', 'createdAt');
  }

  const globalStep = requireInteger(position['globalStep'], 'position.globalStep', 1);
  const stepCount = requireInteger(optimizer['stepCount'], 'optimizer.stepCount', 0);
  if (stepCount !== globalStep) {
    throw new CheckpointFormatError(
      `Invalid checkpoint: optimizer.stepCount ${stepCount} differs from position.globalStep ${globalStep}, but Adam updates once per step.`,
      'optimizer.stepCount',
    );
  }

  return {
    position: {
      epoch: requireInteger(position['epoch'], 'position.epoch', 1),
      step: requireInteger(position['step'], 'position.step', 0),
      globalStep,
      epochLossSum: requireFinite(position['epochLossSum'], 'position.epochLossSum'),
      epochComplete: requireBoolean(position['epochComplete'], 'position.epochComplete'),
    },
    dataOrder: {
      seed: requireInteger(dataOrder['seed'], 'dataOrder.seed', 0, 0xffffffff),
      batchSize: requireInteger(dataOrder['batchSize'], 'dataOrder.batchSize', 1),
    },
    config: config as Record<string, JsonValue>,
    optimizer: { type: 'adam', stepCount, variables: requireInteger(optimizer['variables'], 'optimizer.variables', 1) },
    createdAt: root['createdAt'],
  };
}

function requireObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CheckpointFormatError(`Invalid checkpoint: ${field} is missing or not an object.`, field);
  }
  return value as Record<string, unknown>;
}

function requireInteger(value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CheckpointFormatError(`Invalid checkpoint: ${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}.`, field);
  }
  return value;
}

function requireFinite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new CheckpointFormatError(`Invalid checkpoint: ${field} must be a finite number, got ${JSON.stringify(value)}.`, field);
  }
  return value;
}

function requireBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') {
    throw new CheckpointFormatError(`Invalid checkpoint: ${field} must be true or false, got ${JSON.stringify(value)}.`, field);
  }
  return value;
}

/** A model whose parameters can be read and replaced by name, such as `LSTMModel`. */
export interface CheckpointableModel {
  /** Returns copies of the parameters; the caller disposes them. */
  stateDict(): Map<string, tf.Tensor>;
  /** Copies the given parameters in; the caller keeps ownership of them. */
  loadStateDict(stateDict: Map<string, tf.Tensor>): void;
}

/** An optimizer whose state can be copied out and back in, such as {@link Adam}. */
export interface CheckpointableOptimizer {
  getState(): AdamState;
  setState(state: AdamState): void;
}

/**
 * Copies the model's parameters and the optimizer's state off the device into a checkpoint, at a
 * point between steps. It reads synchronously (`dataSync`), so the values are those of that point.
 *
 * @throws CheckpointFormatError when a parameter or moment is not float32.
 */
export function captureCheckpoint(
  model: CheckpointableModel,
  optimizer: CheckpointableOptimizer,
  fields: Pick<TrainingCheckpoint, 'position' | 'dataOrder' | 'config'>,
  now: Date = new Date(),
): TrainingCheckpoint {
  const parameters = new Map<string, StoredTensor>();
  for (const [name, tensor] of model.stateDict()) {
    parameters.set(name, readAndDispose(`${MODEL_PREFIX}${name}`, tensor));
  }
  const state = optimizer.getState();
  return {
    ...fields,
    model: parameters,
    optimizer: {
      stepCount: state.stepCount,
      firstMoments: state.firstMoments.map((moment, index) => readAndDispose(`${FIRST_MOMENT_PREFIX}${index}`, moment)),
      secondMoments: state.secondMoments.map((moment, index) => readAndDispose(`${SECOND_MOMENT_PREFIX}${index}`, moment)),
    },
    createdAt: now.toISOString(),
  };
}

/**
 * Copies a checkpoint's parameters and optimizer state into a model and optimizer of the same shapes,
 * on the active tfjs backend.
 *
 * @throws CheckpointFormatError when the optimizer's step count differs from the position's global step.
 * @throws whatever `loadStateDict` and `setState` throw for missing names or wrong shapes (`StateDictError`
 *   and RangeError for `LSTMModel` and {@link Adam}).
 */
export function restoreCheckpoint(checkpoint: TrainingCheckpoint, model: CheckpointableModel, optimizer: CheckpointableOptimizer): void {
  if (checkpoint.optimizer.stepCount !== checkpoint.position.globalStep) {
    throw new CheckpointFormatError(
      `Invalid checkpoint: optimizer.stepCount ${checkpoint.optimizer.stepCount} differs from position.globalStep ${checkpoint.position.globalStep}.`,
      'optimizer.stepCount',
    );
  }
  const parameters = new Map([...checkpoint.model].map(([name, tensor]) => [name, toTensor(tensor)]));
  const firstMoments = checkpoint.optimizer.firstMoments.map(toTensor);
  const secondMoments = checkpoint.optimizer.secondMoments.map(toTensor);
  try {
    model.loadStateDict(parameters);
    optimizer.setState({ stepCount: checkpoint.optimizer.stepCount, firstMoments, secondMoments });
  } finally {
    tf.dispose([...parameters.values(), ...firstMoments, ...secondMoments]);
  }
}
