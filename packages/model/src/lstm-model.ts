import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

import { type LSTMModelConfig, resolveLSTMConfig } from './config.js';
import {
  buildLayersModel,
  disposeLayersFormatWeights,
  type LayersFormatWeights,
  loadLayersModelFrom,
  readLayersModel,
} from './layers-format.js';
import { type LinearWeights, type LSTMLayerWeights, stackedLSTMForward } from './lstm-forward.js';
import { type ParameterSpec, parameterSpecs, transposeMatrix, uniformValues } from './parameters.js';
import { createSeededRandom, drawRandomSeed } from './random.js';

/** Options of {@link LSTMModel.create}. */
export interface LSTMModelOptions {
  /** Seed of the initialisation, so the same seed and config give identical weights. Default: a random seed. */
  seed?: number;
}

/** A state dict as `LSTMModel.loadStateDict` accepts it: PyTorch names to tensors in PyTorch's layout. */
export type StateDictInput = Map<string, tf.Tensor> | Record<string, tf.Tensor>;

/** Thrown by `LSTMModel.loadStateDict` for missing or unexpected keys, wrong shapes or non-float32 tensors. */
export class StateDictError extends Error {
  override readonly name = 'StateDictError';
}

const VARIABLE_PREFIX = 'lstm_model_';
let lastModelId = 0;

/**
 * Sequence classifier with PyTorch's `nn.LSTM(inputSize, hiddenSize, numLayers, batch_first=True)`
 * followed by `nn.Linear(hiddenSize, numClasses)` on the last time step.
 *
 * Parameters are tf.Variables in PyTorch's parameterisation, with both LSTM biases per layer,
 * stored in matmul layout: `kernel` `[in, 4H]` is `weight_ih` transposed, `recurrentKernel`
 * `[H, 4H]` is `weight_hh` transposed, and the fc kernel `[H, C]` is `fc.weight` transposed.
 * The model owns its variables until {@link LSTMModel.dispose}.
 */
export class LSTMModel {
  readonly config: Readonly<LSTMModelConfig>;
  private readonly specs: readonly ParameterSpec[];
  private readonly variables: readonly tf.Variable[];
  private disposed = false;

  private constructor(config: LSTMModelConfig, specs: ParameterSpec[], variables: tf.Variable[]) {
    this.config = Object.freeze({ ...config });
    this.specs = specs;
    this.variables = variables;
  }

  /**
   * Creates a model with PyTorch's default initialisation: every LSTM weight and bias
   * from U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)), the linear weight and bias from
   * U(-1/sqrt(in_features), 1/sqrt(in_features)). Values come from a seeded generator,
   * so they match PyTorch in distribution but not value by value.
   *
   * @param config sizes. Missing fields take `DEFAULT_LSTM_CONFIG` (28/128/2/10).
   * @throws LSTMConfigError for an unknown field or a size that is not a positive integer.
   * @throws RangeError for a seed that is not a non-negative safe integer.
   */
  static create(config: Partial<LSTMModelConfig> = {}, options: LSTMModelOptions = {}): LSTMModel {
    const resolved = resolveLSTMConfig(config);
    const random = createSeededRandom(options.seed ?? drawRandomSeed());

    return LSTMModel.fromStoredValues(resolved, (spec) => {
      const count = spec.torchShape.reduce((product, size) => product * size, 1);
      const torchValues = uniformValues(count, spec.initBound, random);
      const [rows, cols] = spec.torchShape as [number, number];
      const stored = spec.transposed ? transposeMatrix(torchValues, rows, cols) : torchValues;
      return tf.tensor(stored, spec.storedShape, 'float32');
    });
  }

  /**
   * Loads a model saved by {@link LSTMModel.save} or any tfjs layers model of the same
   * structure: `lstm` layers (tanh, sigmoid recurrent activation, bias, no state
   * carried over) and a linear `dense` layer. The config comes from the weight shapes.
   * The layers format has one bias per LSTM layer, so it becomes `bias_ih` and `bias_hh` is zero.
   *
   * @param handlerOrUrl a `tf.io.IOHandler` (e.g. `fileSystemLoadHandler` of `@lstm-mnist/model/node`) or a URL of `model.json`.
   * @throws IncompatibleModelError for a model of another structure, or weights that do not fit the saved topology.
   * @throws whatever the IOHandler throws for files it cannot read, such as `ModelFileError`.
   */
  static async load(handlerOrUrl: tf.io.IOHandler | string): Promise<LSTMModel> {
    const layersModel = await loadLayersModelFrom(handlerOrUrl);
    try {
      const { config, weights } = readLayersModel(layersModel);
      try {
        return LSTMModel.fromLayersFormat(config, weights);
      } finally {
        disposeLayersFormatWeights(weights);
      }
    } finally {
      layersModel.dispose();
    }
  }

  /**
   * Computes logits from zero initial hidden and cell states, with sigmoid gates,
   * tanh cell activation and the linear layer on the last time step's hidden state.
   * Under `tf.variableGrads` or `tf.grad` each LSTM layer backpropagates through a
   * hand-written backward pass, which the PyTorch parity tests check.
   *
   * @param x float32 `[batch, time, inputSize]`, batch and time at least 1.
   * @returns float32 logits `[batch, numClasses]`, owned by the caller.
   * @throws Error when `x` has another rank, dtype or feature size, or the model is disposed.
   */
  forward(x: tf.Tensor3D): tf.Tensor2D {
    this.assertUsable('forward');
    this.checkInput(x);

    const { lstm, fc } = this.namedVariables();
    return stackedLSTMForward(x, lstm, fc);
  }

  /** Returns the trainable variables in {@link parameterNames} order. The model keeps ownership. */
  trainableVariables(): tf.Variable[] {
    this.assertUsable('trainableVariables');
    return [...this.variables];
  }

  /** Returns PyTorch's `state_dict` keys in the order of {@link trainableVariables}. */
  parameterNames(): string[] {
    return this.specs.map((spec) => spec.name);
  }

  /** Total number of trainable scalars. */
  get parameterCount(): number {
    return this.specs.reduce((total, spec) => total + spec.torchShape.reduce((product, size) => product * size, 1), 0);
  }

  /** Returns copies of the parameters in PyTorch's names and layouts (`weight_ih` `[4H, in]`, ...). The caller disposes them. */
  stateDict(): Map<string, tf.Tensor> {
    this.assertUsable('stateDict');

    const entries = new Map<string, tf.Tensor>();
    this.specs.forEach((spec, index) => {
      const variable = this.variables[index] as tf.Variable;
      entries.set(spec.name, spec.transposed ? tf.transpose(variable) : tf.clone(variable));
    });
    return entries;
  }

  /**
   * Copies parameters from a PyTorch-layout state dict, such as PyTorch's own `state_dict`
   * read from safetensors. All keys and shapes are checked before any variable changes.
   * The caller keeps ownership of the given tensors.
   *
   * @throws StateDictError listing missing and unexpected keys, or naming a tensor with the wrong shape or dtype.
   */
  loadStateDict(stateDict: StateDictInput): void {
    this.assertUsable('loadStateDict');
    const entries = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));

    this.checkStateDict(entries);

    tf.tidy(() => {
      this.specs.forEach((spec, index) => {
        const value = entries.get(spec.name) as tf.Tensor;
        (this.variables[index] as tf.Variable).assign(spec.transposed ? tf.transpose(value) : value);
      });
    });
  }

  /**
   * Builds a standard tfjs layers model with the same outputs as {@link forward}: `lstm`
   * layers with `recurrentActivation: 'sigmoid'` and bias `bias_ih + bias_hh`, then `dense`.
   * It loads with plain `tf.loadLayersModel` once saved. The caller disposes it.
   */
  toLayersModel(): tfl.Sequential {
    this.assertUsable('toLayersModel');

    const weights = this.layersFormatWeights();
    try {
      return buildLayersModel(this.config, weights);
    } finally {
      tf.dispose(weights.lstm.map((layer) => layer.bias));
    }
  }

  /**
   * Saves the model in the tfjs layers format through `handlerOrUrl`, e.g.
   * `fileSystemSaveHandler(dir)` of `@lstm-mnist/model/node` or `'indexeddb://name'` in a browser.
   */
  async save(handlerOrUrl: tf.io.IOHandler | string): Promise<tf.io.SaveResult> {
    const layersModel = this.toLayersModel();
    try {
      return await layersModel.save(handlerOrUrl);
    } finally {
      layersModel.dispose();
    }
  }

  /** Releases the variables. Later calls other than `dispose` and `parameterNames` throw. */
  dispose(): void {
    if (!this.disposed) {
      tf.dispose([...this.variables]);
      this.disposed = true;
    }
  }

  /** Whether {@link dispose} has run. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  private static fromStoredValues(config: LSTMModelConfig, makeValue: (spec: ParameterSpec) => tf.Tensor): LSTMModel {
    const specs = parameterSpecs(config);
    const prefix = uniqueVariablePrefix();

    const variables = specs.map((spec) =>
      tf.tidy(() => tf.variable(makeValue(spec), true, `${prefix}/${spec.variableName}`, 'float32')),
    );
    return new LSTMModel(config, specs, variables);
  }

  private static fromLayersFormat(config: LSTMModelConfig, weights: LayersFormatWeights): LSTMModel {
    return LSTMModel.fromStoredValues(config, (spec) => {
      const match = /^lstm\/l(\d+)\/(\w+)$/.exec(spec.variableName);
      if (match === null) {
        return tf.clone(spec.variableName === 'fc/kernel' ? weights.dense.kernel : weights.dense.bias);
      }

      const layer = weights.lstm[Number(match[1])] as LayersFormatWeights['lstm'][number];
      switch (match[2]) {
        case 'kernel':
          return tf.clone(layer.kernel);
        case 'recurrent_kernel':
          return tf.clone(layer.recurrentKernel);
        case 'bias_ih':
          return tf.clone(layer.bias);
        default:
          return tf.zeros(spec.storedShape);
      }
    });
  }

  /** Groups the variables by layer. They follow `parameterSpecs` order: four per LSTM layer, then the fc kernel and bias. */
  private namedVariables(): { lstm: LSTMLayerWeights[]; fc: LinearWeights } {
    const at = (index: number) => this.variables[index] as tf.Variable;
    const lstm: LSTMLayerWeights[] = [];
    for (let layer = 0; layer < this.config.numLayers; layer++) {
      const first = 4 * layer;
      lstm.push({ kernel: at(first), recurrentKernel: at(first + 1), biasIh: at(first + 2), biasHh: at(first + 3) });
    }
    const fcStart = 4 * this.config.numLayers;
    return { lstm, fc: { kernel: at(fcStart), bias: at(fcStart + 1) } };
  }

  private layersFormatWeights(): LayersFormatWeights {
    const { lstm, fc } = this.namedVariables();
    return {
      lstm: lstm.map((layer) => ({
        kernel: layer.kernel,
        recurrentKernel: layer.recurrentKernel,
        bias: tf.add(layer.biasIh, layer.biasHh),
      })),
      dense: fc,
    };
  }

  private checkStateDict(entries: Map<string, tf.Tensor>): void {
    const expectedNames = new Set(this.parameterNames());
    const missing = [...expectedNames].filter((name) => !entries.has(name));
    const unexpected = [...entries.keys()].filter((name) => !expectedNames.has(name));
    if (missing.length > 0 || unexpected.length > 0) {
      const parts = [
        missing.length > 0 ? `missing keys: ${missing.join(', ')}` : '',
        unexpected.length > 0 ? `unexpected keys: ${unexpected.join(', ')}` : '',
      ].filter((part) => part !== '');
      throw new StateDictError(`Cannot load state dict into LSTMModel: ${parts.join('; ')}.`);
    }

    for (const spec of this.specs) {
      const value = entries.get(spec.name) as tf.Tensor;
      if (value.isDisposed) {
        throw new StateDictError(`Cannot load state dict entry ${spec.name}: the tensor is disposed.`);
      }
      if (!tf.util.arraysEqual(value.shape, spec.torchShape)) {
        throw new StateDictError(
          `Size mismatch for ${spec.name}: the state dict has shape [${value.shape.join(', ')}], ` +
            `the model (${describeConfig(this.config)}) expects [${spec.torchShape.join(', ')}].`,
        );
      }
      if (value.dtype !== 'float32') {
        throw new StateDictError(`Cannot load state dict entry ${spec.name}: expected dtype float32, got ${value.dtype}.`);
      }
    }
  }

  private checkInput(x: tf.Tensor): void {
    const expected = `float32 [batch, time, ${this.config.inputSize}]`;
    if (x.rank !== 3) {
      throw new Error(`LSTMModel.forward expects ${expected}, got rank ${x.rank} shape [${x.shape.join(', ')}].`);
    }
    if (x.shape[2] !== this.config.inputSize) {
      throw new Error(
        `LSTMModel.forward expects ${expected}, got [${x.shape.join(', ')}]: ` +
          `the last dimension must equal inputSize ${this.config.inputSize}.`,
      );
    }
    if (x.shape[0] === 0 || x.shape[1] === 0) {
      throw new Error(`LSTMModel.forward expects at least one sequence of at least one step, got shape [${x.shape.join(', ')}].`);
    }
    if (x.dtype !== 'float32') {
      throw new Error(`LSTMModel.forward expects ${expected}, got dtype ${x.dtype}. Cast it with tf.cast(x, 'float32').`);
    }
  }

  private assertUsable(method: string): void {
    if (this.disposed) {
      throw new Error(`Cannot call LSTMModel.${method}: the model is disposed.`);
    }
  }
}

/** Finds a variable-name prefix no registered variable uses, because tfjs rejects a second variable of the same name. */
function uniqueVariablePrefix(): string {
  const registered = Object.keys(tf.engine().registeredVariables);
  let prefix: string;
  do {
    lastModelId += 1;
    prefix = `${VARIABLE_PREFIX}${lastModelId}/`;
  } while (registered.some((name) => name.startsWith(prefix)));
  return prefix.slice(0, -1);
}

function describeConfig(config: LSTMModelConfig): string {
  return `inputSize ${config.inputSize}, hiddenSize ${config.hiddenSize}, numLayers ${config.numLayers}, numClasses ${config.numClasses}`;
}
