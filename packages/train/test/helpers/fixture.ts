import { readFileSync } from 'node:fs';

import { parseSafetensors, safetensorToTensor } from '@lstm-mnist/model';
import type * as tf from '@tensorflow/tfjs-core';
import type { SafetensorsTensor } from '@lstm-mnist/model';

/** The PyTorch parity fixture: a seeded 2-layer LSTM (28 -> 128) with a linear layer to 10 classes. */
const FIXTURE_DIR = new URL('../../../model/test/fixtures/torch-lstm-parity/', import.meta.url);

/** PyTorch state_dict names of the fixture's model, in LSTMModel.parameterNames() order. */
export const PARAMETER_NAMES = [
  'lstm.weight_ih_l0',
  'lstm.weight_hh_l0',
  'lstm.bias_ih_l0',
  'lstm.bias_hh_l0',
  'lstm.weight_ih_l1',
  'lstm.weight_hh_l1',
  'lstm.bias_ih_l1',
  'lstm.bias_hh_l1',
  'fc.weight',
  'fc.bias',
] as const;

/** Reads one of the fixture's safetensors files: 'model', 'batch' or 'expected'. */
export function readFixture(name: 'model' | 'batch' | 'expected'): Map<string, SafetensorsTensor> {
  return parseSafetensors(new Uint8Array(readFileSync(new URL(`${name}.safetensors`, FIXTURE_DIR))));
}

/** Returns the named tensor or throws naming the missing entry. */
export function getStored(tensors: Map<string, SafetensorsTensor>, name: string): SafetensorsTensor {
  const tensor = tensors.get(name);
  if (tensor === undefined) {
    throw new Error(`fixture has no tensor named '${name}'; present: ${[...tensors.keys()].join(', ')}.`);
  }

  return tensor;
}

/** Creates a tensor from a fixture entry: float32 for F32 data, int32 for integer data such as the I64 labels. */
export function fixtureTensor(tensors: Map<string, SafetensorsTensor>, name: string): tf.Tensor {
  return safetensorToTensor(getStored(tensors, name));
}

/** Returns the largest `|actual - expected|` and its index; NaN and its index when any element is NaN. */
export function maxAbsoluteDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): { value: number; index: number } {
  if (actual.length !== expected.length) {
    throw new Error(`length mismatch: actual ${actual.length}, expected ${expected.length}.`);
  }
  let value = 0;
  let index = -1;
  for (let i = 0; i < actual.length; i++) {
    const difference = Math.abs((actual[i] as number) - (expected[i] as number));
    if (Number.isNaN(difference)) {
      return { value: Number.NaN, index: i };
    }
    if (difference > value) {
      value = difference;
      index = i;
    }
  }

  return { value, index };
}
