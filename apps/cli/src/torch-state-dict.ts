import * as tf from '@tensorflow/tfjs-core';

import { MNIST_IMAGE_SIZE } from '@lstm-mnist/data';
import { type LSTMModelConfig, type SafetensorsTensor, SafetensorsFormatError, parseSafetensors } from '@lstm-mnist/model';

import { UserFacingError } from './user-facing-error.js';

/** Gates per LSTM unit in PyTorch's stacked weights: input, forget, cell (g), output. */
const LSTM_GATES = 4;

/** Metadata that `safetensors.torch.save_file` writes, so tools that check it accept our files. */
export const TORCH_SAFETENSORS_METADATA = { format: 'pt' } as const;

const FIRST_LSTM_WEIGHT = 'lstm.weight_ih_l0';

/**
 * Parses safetensors bytes from `file`, adding the file name to format errors.
 *
 * @throws UserFacingError naming `file` when the bytes are not a valid safetensors file.
 */
export function readSafetensorsFile(bytes: Uint8Array, file: string): Map<string, SafetensorsTensor> {
  try {
    return parseSafetensors(bytes);
  } catch (error) {
    if (error instanceof SafetensorsFormatError) {
      throw new UserFacingError(`${file}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/**
 * Infers the model sizes from a PyTorch `state_dict` of the sequential-MNIST model
 * (`nn.LSTM(28, H, num_layers=L, batch_first=True)` as `lstm`, `nn.Linear(H, C)` as `fc`):
 * H from `lstm.weight_hh_l0` `[4H, H]`, L from the `lstm.weight_ih_l{k}` present, C from `fc.weight` `[C, H]`.
 * Every tensor must then have PyTorch's shape for those sizes and dtype F32.
 *
 * @throws UserFacingError naming `file` and the first tensor that is missing, unexpected or of the wrong shape or dtype.
 */
export function inferTorchConfig(tensors: Map<string, SafetensorsTensor>, file: string): LSTMModelConfig {
  const notThisModel = (detail: string): UserFacingError =>
    new UserFacingError(`${file} is not a state_dict of the sequential-MNIST LSTM (lstm = nn.LSTM, fc = nn.Linear): ${detail}.`);

  const first = tensors.get(FIRST_LSTM_WEIGHT);
  if (first === undefined) {
    throw notThisModel(`it has no tensor ${FIRST_LSTM_WEIGHT} (found ${describeNames([...tensors.keys()])})`);
  }
  if (first.shape.length !== 2 || first.shape[0] === 0 || (first.shape[0] as number) % LSTM_GATES !== 0) {
    throw notThisModel(`${FIRST_LSTM_WEIGHT} has shape [${first.shape.join(', ')}], expected [4 x hidden size, ${MNIST_IMAGE_SIZE}]`);
  }
  const hiddenSize = (first.shape[0] as number) / LSTM_GATES;
  let numLayers = 1;
  while (tensors.has(`lstm.weight_ih_l${numLayers}`)) numLayers++;
  const fcWeight = tensors.get('fc.weight');
  if (fcWeight === undefined || fcWeight.shape.length !== 2 || fcWeight.shape[0] === 0) {
    throw notThisModel(fcWeight === undefined ? 'it has no tensor fc.weight' : `fc.weight has shape [${fcWeight.shape.join(', ')}], expected [classes, ${hiddenSize}]`);
  }
  const config: LSTMModelConfig = { inputSize: MNIST_IMAGE_SIZE, hiddenSize, numLayers, numClasses: fcWeight.shape[0] as number };

  checkTensors(tensors, expectedTorchShapes(config), notThisModel);
  return config;
}

/** PyTorch's parameter names and shapes for `config`, in `state_dict` order. */
export function expectedTorchShapes(config: LSTMModelConfig): Map<string, number[]> {
  const { inputSize, hiddenSize, numLayers, numClasses } = config;
  const shapes = new Map<string, number[]>();
  for (let layer = 0; layer < numLayers; layer++) {
    const layerInput = layer === 0 ? inputSize : hiddenSize;
    shapes.set(`lstm.weight_ih_l${layer}`, [LSTM_GATES * hiddenSize, layerInput]);
    shapes.set(`lstm.weight_hh_l${layer}`, [LSTM_GATES * hiddenSize, hiddenSize]);
    shapes.set(`lstm.bias_ih_l${layer}`, [LSTM_GATES * hiddenSize]);
    shapes.set(`lstm.bias_hh_l${layer}`, [LSTM_GATES * hiddenSize]);
  }
  shapes.set('fc.weight', [numClasses, hiddenSize]);
  shapes.set('fc.bias', [numClasses]);
  return shapes;
}

function checkTensors(
  tensors: Map<string, SafetensorsTensor>,
  expected: Map<string, number[]>,
  notThisModel: (detail: string) => UserFacingError,
): void {
  for (const [name, shape] of expected) {
    const tensor = tensors.get(name);
    if (tensor === undefined) throw notThisModel(`it has no tensor ${name}`);
    if (!tf.util.arraysEqual(tensor.shape, shape)) {
      throw notThisModel(`${name} has shape [${tensor.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    if (tensor.dtype !== 'F32') {
      throw notThisModel(`${name} has dtype ${tensor.dtype}, expected F32 (save the model after model.float())`);
    }
  }
  const unexpected = [...tensors.keys()].filter((name) => !expected.has(name));
  if (unexpected.length > 0) {
    throw notThisModel(
      `unexpected tensor ${unexpected[0]}${unexpected.length > 1 ? ` and ${unexpected.length - 1} more` : ''} ` +
        '(a bidirectional LSTM, proj_size or extra layers are not supported)',
    );
  }
}

/** Converts F32 safetensors to float32 tensors in PyTorch's layout. The caller disposes them. */
export function toTensorMap(tensors: Map<string, SafetensorsTensor>): Map<string, tf.Tensor> {
  const result = new Map<string, tf.Tensor>();
  for (const [name, tensor] of tensors) {
    result.set(name, tf.tensor(tensor.data as Float32Array, tensor.shape, 'float32'));
  }
  return result;
}

/** Reads float32 tensors back as F32 safetensors entries, keeping the map's order. */
export function toSafetensorsMap(tensors: Map<string, tf.Tensor>): Map<string, SafetensorsTensor> {
  const result = new Map<string, SafetensorsTensor>();
  for (const [name, tensor] of tensors) {
    result.set(name, { dtype: 'F32', shape: [...tensor.shape], data: tensor.dataSync() as Float32Array });
  }
  return result;
}

function describeNames(names: string[]): string {
  if (names.length === 0) return 'no tensors';
  const listed = names.slice(0, 4).join(', ');
  return names.length > 4 ? `${listed} and ${names.length - 4} more` : listed;
}
