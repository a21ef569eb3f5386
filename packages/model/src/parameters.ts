import type { LSTMModelConfig } from './config.js';
import type { RandomSource } from './random.js';

/**
 * One trainable parameter. `torchShape` is its shape in PyTorch's `state_dict`.
 * A `transposed` parameter is stored as an `[in, out]` kernel, so the forward pass
 * needs no transpose, and `storedShape` is that layout.
 */
export interface ParameterSpec {
  /** PyTorch `state_dict` key, e.g. `lstm.weight_ih_l0`. */
  name: string;
  /** Suffix of the tf.Variable name, after the per-model prefix. */
  variableName: string;
  torchShape: number[];
  storedShape: number[];
  transposed: boolean;
  /** PyTorch's default initialisation draws from U(-initBound, initBound). */
  initBound: number;
}

/**
 * Lists the parameters of `config` in PyTorch's `state_dict` order:
 * per layer `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`, then `fc.weight`, `fc.bias`.
 */
export function parameterSpecs(config: LSTMModelConfig): ParameterSpec[] {
  const { inputSize, hiddenSize, numLayers, numClasses } = config;
  const gateRows = 4 * hiddenSize;
  // nn.LSTM draws every weight and bias from U(-1/sqrt(hidden), 1/sqrt(hidden)).
  const lstmBound = 1 / Math.sqrt(hiddenSize);
  // nn.Linear's kaiming_uniform_(a=sqrt(5)) on the weight and its bias init both reduce to U(-1/sqrt(in), 1/sqrt(in)).
  const linearBound = 1 / Math.sqrt(hiddenSize);
  const specs: ParameterSpec[] = [];

  for (let layer = 0; layer < numLayers; layer++) {
    const layerInput = layer === 0 ? inputSize : hiddenSize;
    specs.push(
      matrixSpec(`lstm.weight_ih_l${layer}`, `lstm/l${layer}/kernel`, [gateRows, layerInput], lstmBound),
      matrixSpec(`lstm.weight_hh_l${layer}`, `lstm/l${layer}/recurrent_kernel`, [gateRows, hiddenSize], lstmBound),
      vectorSpec(`lstm.bias_ih_l${layer}`, `lstm/l${layer}/bias_ih`, gateRows, lstmBound),
      vectorSpec(`lstm.bias_hh_l${layer}`, `lstm/l${layer}/bias_hh`, gateRows, lstmBound),
    );
  }
  specs.push(
    matrixSpec('fc.weight', 'fc/kernel', [numClasses, hiddenSize], linearBound),
    vectorSpec('fc.bias', 'fc/bias', numClasses, linearBound),
  );

  return specs;
}

/** Fills an array of `count` values drawn from U(-bound, bound), as PyTorch's `uniform_(-bound, bound)`. */
export function uniformValues(count: number, bound: number, random: RandomSource): Float32Array {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    values[i] = (2 * random() - 1) * bound;
  }
  return values;
}

/** Transposes a row-major `[rows, cols]` matrix into a new row-major `[cols, rows]` one. */
export function transposeMatrix(values: Float32Array, rows: number, cols: number): Float32Array {
  const result = new Float32Array(values.length);
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      result[col * rows + row] = values[row * cols + col] as number;
    }
  }
  return result;
}

function matrixSpec(name: string, variableName: string, torchShape: [number, number], initBound: number): ParameterSpec {
  const [rows, cols] = torchShape;
  return { name, variableName, torchShape, storedShape: [cols, rows], transposed: true, initBound };
}

function vectorSpec(name: string, variableName: string, length: number, initBound: number): ParameterSpec {
  return { name, variableName, torchShape: [length], storedShape: [length], transposed: false, initBound };
}
