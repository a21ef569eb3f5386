import * as tf from '@tensorflow/tfjs-core';
// Importing tfjs-layers also registers the gradients of the tfjs-core kernels, which
// backpropagation through LSTMModel.forward needs. tfjs-core alone registers none.
import * as tfl from '@tensorflow/tfjs-layers';

import { type LSTMModelConfig, validateLSTMConfig } from './config.js';

/** Layer names in the saved topology: `lstm_0`, `lstm_1`, ..., then `fc`. */
const LSTM_LAYER_PREFIX = 'lstm_';
const DENSE_LAYER_NAME = 'fc';

/**
 * Weights in the tfjs layers layout. Each LSTM layer has `kernel` `[in, 4H]`,
 * `recurrentKernel` `[H, 4H]` and one `bias` `[4H]` (PyTorch's `bias_ih + bias_hh`),
 * with gate blocks ordered input, forget, cell, output. The dense layer follows.
 */
export interface LayersFormatWeights {
  lstm: { kernel: tf.Tensor; recurrentKernel: tf.Tensor; bias: tf.Tensor }[];
  dense: { kernel: tf.Tensor; bias: tf.Tensor };
}

/**
 * Thrown by `LSTMModel.load` for a layers model that is not a stack of LSTM layers followed
 * by one dense layer, or whose weights do not fit its topology.
 */
export class IncompatibleModelError extends Error {
  override readonly name = 'IncompatibleModelError';
}

/**
 * Loads a tfjs layers model through `handlerOrUrl`. Errors of the IOHandler itself (a
 * missing or truncated file) pass through unchanged. Errors tfjs-layers raises while
 * building the model from what was read, such as weight shapes that do not fit the
 * topology, become an IncompatibleModelError that names the source.
 */
export async function loadLayersModelFrom(handlerOrUrl: tf.io.IOHandler | string): Promise<tfl.LayersModel> {
  const handler = typeof handlerOrUrl === 'string' ? handlerForUrl(handlerOrUrl) : handlerOrUrl;
  if (handler.load === undefined) {
    throw new TypeError(`Cannot load a model from ${describeModelSource(handlerOrUrl)}: the IOHandler has no load method.`);
  }
  const artifacts = await handler.load();

  try {
    return await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    const problem = (await describeWeightMismatch(artifacts)) ?? (error as Error).message;
    throw new IncompatibleModelError(`Cannot load the model from ${describeModelSource(handlerOrUrl)} as a tfjs layers model: ${problem}`, {
      cause: error,
    });
  }
}

/**
 * Names the first weight whose manifest entry does not fit the topology, since tfjs-layers 4.22
 * reports only "Shape mismatch: [a] vs. [b]". Returns undefined when the topology itself cannot be
 * built or every weight fits, so the caller keeps the tfjs-layers message.
 */
async function describeWeightMismatch(artifacts: tf.io.ModelArtifacts): Promise<string | undefined> {
  const { modelTopology, weightSpecs } = artifacts;
  if (modelTopology === undefined || modelTopology instanceof ArrayBuffer || weightSpecs === undefined) {
    return undefined;
  }

  let model: tfl.LayersModel;
  try {
    model = await tfl.models.modelFromJSON({ modelTopology });
  } catch {
    return undefined;
  }

  try {
    const specs = new Map(weightSpecs.map((spec) => [spec.name, spec]));
    for (const weight of model.weights) {
      const spec = specs.get(weight.originalName);
      if (spec === undefined) {
        return `the weights manifest has no weight '${weight.originalName}', which the topology needs with shape [${weight.shape.join(', ')}].`;
      }
      const fits = spec.shape.length === weight.shape.length && spec.shape.every((size, axis) => size === weight.shape[axis]);
      if (!fits) {
        return (
          `weight '${weight.originalName}' has shape [${spec.shape.join(', ')}] in the weights manifest, ` +
          `but the topology needs [${weight.shape.join(', ')}]. The manifest and the topology come from different models, so save the model again.`
        );
      }
    }
    return undefined;
  } finally {
    model.dispose();
  }
}

/** Picks the load handler for a URL the way `tf.loadLayersModel` does: a registered scheme, else HTTP. */
function handlerForUrl(url: string): tf.io.IOHandler {
  const handlers = tf.io.getLoadHandlers(url);
  if (handlers.length > 1) {
    throw new Error(`Cannot load a model from ${url}: ${handlers.length} registered IOHandlers match it, expected one.`);
  }
  return handlers[0] ?? tf.io.http(url);
}

/** Describes where a model comes from: the URL, or the handler's own `toString()` when it has one. */
function describeModelSource(handlerOrUrl: tf.io.IOHandler | string): string {
  if (typeof handlerOrUrl === 'string') {
    return handlerOrUrl;
  }
  return handlerOrUrl.toString === Object.prototype.toString ? 'the given IOHandler' : String(handlerOrUrl);
}

/**
 * Builds a standard tfjs Sequential model that computes what `LSTMModel.forward` does:
 * `lstm` layers with `recurrentActivation: 'sigmoid'`, the last returning only its
 * final step, then a linear `dense` layer. The input shape is `[null, time, inputSize]`,
 * so any sequence length is accepted. The weights are copied in, and the caller disposes the model.
 */
export function buildLayersModel(config: LSTMModelConfig, weights: LayersFormatWeights): tfl.Sequential {
  const model = tfl.sequential({ name: 'lstm_classifier' });

  for (let layer = 0; layer < config.numLayers; layer++) {
    model.add(
      tfl.layers.lstm({
        name: `${LSTM_LAYER_PREFIX}${layer}`,
        units: config.hiddenSize,
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        useBias: true,
        returnSequences: layer < config.numLayers - 1,
        // Zeros avoid the orthogonal initializer's QR cost and console warning, and setWeights overwrites them anyway.
        kernelInitializer: 'zeros',
        recurrentInitializer: 'zeros',
        biasInitializer: 'zeros',
        ...(layer === 0 ? { inputShape: [null, config.inputSize] } : {}),
      }),
    );
  }
  model.add(
    tfl.layers.dense({ name: DENSE_LAYER_NAME, units: config.numClasses, kernelInitializer: 'zeros', biasInitializer: 'zeros' }),
  );

  weights.lstm.forEach((layerWeights, index) => {
    model.layers[index]?.setWeights([layerWeights.kernel, layerWeights.recurrentKernel, layerWeights.bias]);
  });
  model.layers[config.numLayers]?.setWeights([weights.dense.kernel, weights.dense.bias]);

  return model;
}

/**
 * Checks that `model` is a chain of `lstm` layers and one linear `dense` layer
 * that `LSTMModel` can represent, and returns its config and copies of its
 * weights (the caller disposes them).
 *
 * @throws IncompatibleModelError naming the layer and the setting or shape that does not fit.
 */
export function readLayersModel(model: tfl.LayersModel): { config: LSTMModelConfig; weights: LayersFormatWeights } {
  const layers = model.layers.filter((layer) => layer.getClassName() !== 'InputLayer');
  const lstmLayers = layers.slice(0, -1);
  const denseLayer = layers[layers.length - 1];
  const summary = layers.map((layer) => layer.getClassName()).join(', ') || 'no layers';

  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new IncompatibleModelError(
      `Cannot load model '${model.name}' as an LSTMModel: expected one input and one output, got ${model.inputs.length} and ${model.outputs.length}.`,
    );
  }
  if (lstmLayers.length === 0 || denseLayer === undefined) {
    throw new IncompatibleModelError(
      `Cannot load model '${model.name}' as an LSTMModel: expected LSTM layers followed by one Dense layer, got ${summary}.`,
    );
  }

  lstmLayers.forEach((layer, index) => checkLSTMLayer(layer, index === lstmLayers.length - 1, summary));
  checkDenseLayer(denseLayer, summary);

  const lstmWeights = lstmLayers.map((layer) => {
    const [kernel, recurrentKernel, bias] = layer.getWeights().map((weight) => tf.clone(weight));
    return { kernel: kernel as tf.Tensor, recurrentKernel: recurrentKernel as tf.Tensor, bias: bias as tf.Tensor };
  });
  const [denseKernel, denseBias] = denseLayer.getWeights().map((weight) => tf.clone(weight));
  const weights = { lstm: lstmWeights, dense: { kernel: denseKernel as tf.Tensor, bias: denseBias as tf.Tensor } };

  try {
    return { config: inferConfig(weights), weights };
  } catch (error) {
    disposeLayersFormatWeights(weights);
    throw error;
  }
}

/** Disposes every tensor of `weights`. */
export function disposeLayersFormatWeights(weights: LayersFormatWeights): void {
  for (const layer of weights.lstm) {
    tf.dispose([layer.kernel, layer.recurrentKernel, layer.bias]);
  }
  tf.dispose([weights.dense.kernel, weights.dense.bias]);
}

function checkLSTMLayer(layer: tfl.layers.Layer, isLast: boolean, summary: string): void {
  const name = layer.name;
  const fail = (problem: string) =>
    new IncompatibleModelError(`Cannot load layer '${name}' into an LSTMModel: ${problem}. Model layers: ${summary}.`);

  if (layer.getClassName() !== 'LSTM') {
    throw fail(`expected an LSTM layer, got ${layer.getClassName()}`);
  }
  const config = layer.getConfig();
  const expected: Record<string, unknown> = {
    activation: 'tanh',
    recurrentActivation: 'sigmoid',
    useBias: true,
    returnSequences: !isLast,
    returnState: false,
    goBackwards: false,
    stateful: false,
  };
  for (const [setting, value] of Object.entries(expected)) {
    if (config[setting] !== value) {
      throw fail(`expected ${setting} ${JSON.stringify(value)}, got ${JSON.stringify(config[setting])}`);
    }
  }
}

function checkDenseLayer(layer: tfl.layers.Layer, summary: string): void {
  const fail = (problem: string) =>
    new IncompatibleModelError(`Cannot load layer '${layer.name}' into an LSTMModel: ${problem}. Model layers: ${summary}.`);

  if (layer.getClassName() !== 'Dense') {
    throw fail(`expected the last layer to be Dense, got ${layer.getClassName()}`);
  }
  const config = layer.getConfig();
  if (config['activation'] !== 'linear') {
    throw fail(`expected activation "linear" (the logits), got ${JSON.stringify(config['activation'])}`);
  }
  if (config['useBias'] !== true) {
    throw fail('expected useBias true');
  }
}

function inferConfig(weights: LayersFormatWeights): LSTMModelConfig {
  const first = weights.lstm[0];
  if (first === undefined) {
    throw new IncompatibleModelError('Cannot load the model as an LSTMModel: it has no LSTM layer.');
  }
  const hiddenSize = first.recurrentKernel.shape[0] as number;
  const config: LSTMModelConfig = {
    inputSize: first.kernel.shape[0] as number,
    hiddenSize,
    numLayers: weights.lstm.length,
    numClasses: weights.dense.kernel.shape[1] as number,
  };

  weights.lstm.forEach((layer, index) => {
    const layerInput = index === 0 ? config.inputSize : hiddenSize;
    checkShape(`LSTM layer ${index} kernel`, layer.kernel, [layerInput, 4 * hiddenSize]);
    checkShape(`LSTM layer ${index} recurrent kernel`, layer.recurrentKernel, [hiddenSize, 4 * hiddenSize]);
    checkShape(`LSTM layer ${index} bias`, layer.bias, [4 * hiddenSize]);
  });
  checkShape('dense kernel', weights.dense.kernel, [hiddenSize, config.numClasses]);
  checkShape('dense bias', weights.dense.bias, [config.numClasses]);

  validateLSTMConfig(config);
  return config;
}

function checkShape(weightName: string, tensor: tf.Tensor, expected: number[]): void {
  if (!tf.util.arraysEqual(tensor.shape, expected)) {
    throw new IncompatibleModelError(
      `Cannot load the model as an LSTMModel: the ${weightName} has shape [${tensor.shape.join(', ')}], expected [${expected.join(', ')}]. ` +
        'Every LSTM layer must have the same number of units.',
    );
  }
}
