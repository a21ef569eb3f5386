// The wasm backend runs the full-size model several times faster than the cpu backend.
import '@tensorflow/tfjs-backend-wasm';

import { readdir, readFile, rm, mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { IncompatibleModelError, LSTMModel } from '../src/index.js';
import { fileSystemLoadHandler, fileSystemSaveHandler } from '../src/node/index.js';
import { fixtureTensors, maxAbsDifference, readFixture } from './helpers.js';

const LOGITS_TOLERANCE = 1e-5;

/** Serves the files of `dir` on 127.0.0.1 at an ephemeral port, as a static web server would for a browser. */
async function serveFolder(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const name = new URL(request.url ?? '/', 'http://127.0.0.1').pathname.slice(1);
    readFile(join(dir, name)).then(
      (body) => response.writeHead(200).end(body),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function fixtureModel(): LSTMModel {
  const model = LSTMModel.create();
  const stateDict = fixtureTensors(readFixture('model'));
  model.loadStateDict(stateDict);
  tf.dispose([...stateDict.values()]);
  return model;
}

async function loadError(handlerOrUrl: tf.io.IOHandler | string): Promise<Error> {
  try {
    (await LSTMModel.load(handlerOrUrl)).dispose();
  } catch (error) {
    return error as Error;
  }
  throw new Error('LSTMModel.load accepted the model');
}

describe('LSTMModel in the tfjs layers format', () => {
  let model: LSTMModel;
  let images: tf.Tensor3D;
  let expectedLogits: Float32Array;
  let dir: string;

  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = fixtureModel();
    images = fixtureTensors(readFixture('batch'), 'images').get('') as tf.Tensor3D;
    expectedLogits = readFixture('expected').get('logits')?.data as Float32Array;
    dir = await mkdtemp(join(tmpdir(), 'lstm-model-layers-'));
    await model.save(fileSystemSaveHandler(dir));
  });

  afterAll(async () => {
    model.dispose();
    images.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('predicts what forward computes', () => {
    const layersModel = model.toLayersModel();
    const predicted = layersModel.predict(images) as tf.Tensor;
    const forward = model.forward(images);

    expect(predicted.shape).toEqual([8, 10]);
    expect(maxAbsDifference(predicted.dataSync(), forward.dataSync())).toBeLessThan(LOGITS_TOLERANCE);
    tf.dispose([predicted, forward]);
    layersModel.dispose();
  });

  it('uses standard lstm layers with sigmoid gates', () => {
    const layersModel = model.toLayersModel();
    const configs = layersModel.layers.map((layer) => [layer.getClassName(), layer.getConfig()['recurrentActivation']]);
    layersModel.dispose();

    expect(configs).toEqual([
      ['LSTM', 'sigmoid'],
      ['LSTM', 'sigmoid'],
      ['Dense', undefined],
    ]);
  });

  it.each([
    { inputSize: 3, hiddenSize: 5, numLayers: 1, numClasses: 2 },
    { inputSize: 2, hiddenSize: 3, numLayers: 3, numClasses: 4 },
  ])('predicts what forward computes for $numLayers layers', (config) => {
    const small = LSTMModel.create(config, { seed: 2 });
    const layersModel = small.toLayersModel();
    const x = tf.randomNormal([3, 7, config.inputSize]) as tf.Tensor3D;
    const predicted = layersModel.predict(x) as tf.Tensor;
    const forward = small.forward(x);

    expect(maxAbsDifference(predicted.dataSync(), forward.dataSync())).toBeLessThan(LOGITS_TOLERANCE);
    tf.dispose([x, predicted, forward]);
    layersModel.dispose();
    small.dispose();
  });

  it('writes only model.json and weights.bin', async () => {
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('writes a layers-model topology and one weights file', async () => {
    const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));

    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(modelJson.weightsManifest[0].weights.map((spec: { name: string }) => spec.name)).toEqual([
      'lstm_0/kernel',
      'lstm_0/recurrent_kernel',
      'lstm_0/bias',
      'lstm_1/kernel',
      'lstm_1/recurrent_kernel',
      'lstm_1/bias',
      'fc/kernel',
      'fc/bias',
    ]);
  });

  it('reproduces the PyTorch logits with tf.loadLayersModel and the file handler', async () => {
    const loaded = await tfl.loadLayersModel(fileSystemLoadHandler(dir));
    const logits = loaded.predict(images) as tf.Tensor;

    expect(maxAbsDifference(logits.dataSync(), expectedLogits)).toBeLessThan(LOGITS_TOLERANCE);
    logits.dispose();
    loaded.dispose();
  });

  it('reproduces the PyTorch logits with plain tf.loadLayersModel over HTTP', async () => {
    const server = await serveFolder(dir);
    try {
      const loaded = await tfl.loadLayersModel(`${server.url}/model.json`);
      const logits = loaded.predict(images) as tf.Tensor;

      expect(maxAbsDifference(logits.dataSync(), expectedLogits)).toBeLessThan(LOGITS_TOLERANCE);
      logits.dispose();
      loaded.dispose();
    } finally {
      await server.close();
    }
  });

  it('loads back into an LSTMModel with the same logits', async () => {
    const loaded = await LSTMModel.load(fileSystemLoadHandler(dir));
    const logits = loaded.forward(images);

    expect(loaded.config).toEqual(model.config);
    expect(maxAbsDifference(logits.dataSync(), expectedLogits)).toBeLessThan(LOGITS_TOLERANCE);
    logits.dispose();
    loaded.dispose();
  });

  it('loads from a URL', async () => {
    const server = await serveFolder(dir);
    try {
      const loaded = await LSTMModel.load(`${server.url}/model.json`);
      const logits = loaded.forward(images);

      expect(maxAbsDifference(logits.dataSync(), expectedLogits)).toBeLessThan(LOGITS_TOLERANCE);
      logits.dispose();
      loaded.dispose();
    } finally {
      await server.close();
    }
  });

  it('loads the summed bias into bias_ih and zeros into bias_hh', async () => {
    const loaded = await LSTMModel.load(fileSystemLoadHandler(dir));
    const loadedState = loaded.stateDict();
    const originalState = model.stateDict();
    loaded.dispose();
    const summed = tf.add(originalState.get('lstm.bias_ih_l1') as tf.Tensor, originalState.get('lstm.bias_hh_l1') as tf.Tensor);

    expect(maxAbsDifference(loadedState.get('lstm.bias_ih_l1')?.dataSync() ?? [], summed.dataSync())).toBe(0);
    expect(Array.from(loadedState.get('lstm.bias_hh_l1')?.dataSync() ?? []).every((value) => value === 0)).toBe(true);
    expect(maxAbsDifference(loadedState.get('lstm.weight_hh_l0')?.dataSync() ?? [], originalState.get('lstm.weight_hh_l0')?.dataSync() ?? [1])).toBe(0);
    tf.dispose([summed, ...loadedState.values(), ...originalState.values()]);
  });

  it('infers the config of a smaller model', async () => {
    const config = { inputSize: 3, hiddenSize: 6, numLayers: 3, numClasses: 4 };
    const small = LSTMModel.create(config, { seed: 4 });
    const smallDir = join(dir, 'nested', 'small');
    await small.save(fileSystemSaveHandler(smallDir));
    small.dispose();

    const loaded = await LSTMModel.load(fileSystemLoadHandler(join(smallDir, 'model.json')));

    expect(loaded.config).toEqual(config);
    loaded.dispose();
  });

  it('overwrites an earlier save in the same folder', async () => {
    const other = LSTMModel.create({ hiddenSize: 8 }, { seed: 9 });
    const otherDir = join(dir, 'overwrite');
    await model.save(fileSystemSaveHandler(otherDir));
    await other.save(fileSystemSaveHandler(otherDir));
    other.dispose();

    const loaded = await LSTMModel.load(fileSystemLoadHandler(otherDir));

    expect(loaded.config.hiddenSize).toBe(8);
    expect((await readdir(otherDir)).sort()).toEqual(['model.json', 'weights.bin']);
    loaded.dispose();
  });

  it('leaks no tensors in load, save and toLayersModel', async () => {
    const before = tf.memory().numTensors;

    const loaded = await LSTMModel.load(fileSystemLoadHandler(dir));
    await loaded.save(fileSystemSaveHandler(join(dir, 'again')));
    loaded.toLayersModel().dispose();
    loaded.dispose();

    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('LSTMModel.load rejects other structures', () => {
  let dir: string;

  beforeAll(async () => {
    await tf.setBackend('wasm');
    dir = await mkdtemp(join(tmpdir(), 'lstm-model-reject-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function saveLayers(name: string, layers: tfl.layers.Layer[]): Promise<tf.io.IOHandler> {
    const layersModel = tfl.sequential({ layers });
    const modelDir = join(dir, name);
    await layersModel.save(fileSystemSaveHandler(modelDir));
    layersModel.dispose();
    return fileSystemLoadHandler(modelDir);
  }

  it('rejects a GRU layer', async () => {
    const handler = await saveLayers('gru', [
      tfl.layers.gru({ units: 4, inputShape: [5, 3], recurrentInitializer: 'zeros' }),
      tfl.layers.dense({ units: 2 }),
    ]);
    const error = await loadError(handler);

    expect(error).toBeInstanceOf(IncompatibleModelError);
    expect(error.message).toMatch(/^Cannot load layer 'gru_\w+' into an LSTMModel: expected an LSTM layer, got GRU\. Model layers: GRU, Dense\.$/);
  });

  it('rejects the tfjs default hard-sigmoid gates', async () => {
    const handler = await saveLayers('hard-sigmoid', [
      tfl.layers.lstm({ units: 4, inputShape: [5, 3], recurrentInitializer: 'zeros' }),
      tfl.layers.dense({ units: 2 }),
    ]);

    expect((await loadError(handler)).message).toContain('expected recurrentActivation "sigmoid", got "hardSigmoid"');
  });

  it('rejects a softmax output layer', async () => {
    const handler = await saveLayers('softmax', [
      tfl.layers.lstm({ units: 4, inputShape: [5, 3], recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' }),
      tfl.layers.dense({ units: 2, activation: 'softmax' }),
    ]);

    expect((await loadError(handler)).message).toContain('expected activation "linear" (the logits), got "softmax"');
  });

  it('rejects a last LSTM layer that returns sequences', async () => {
    const handler = await saveLayers('sequences', [
      tfl.layers.lstm({ units: 4, inputShape: [5, 3], recurrentActivation: 'sigmoid', returnSequences: true, recurrentInitializer: 'zeros' }),
      tfl.layers.dense({ units: 2 }),
    ]);

    expect((await loadError(handler)).message).toContain('expected returnSequences false, got true');
  });

  it('rejects LSTM layers of different sizes', async () => {
    const handler = await saveLayers('sizes', [
      tfl.layers.lstm({ units: 6, inputShape: [5, 3], recurrentActivation: 'sigmoid', returnSequences: true, recurrentInitializer: 'zeros' }),
      tfl.layers.lstm({ units: 4, recurrentActivation: 'sigmoid', recurrentInitializer: 'zeros' }),
      tfl.layers.dense({ units: 2 }),
    ]);
    const error = await loadError(handler);

    expect(error.message).toBe(
      'Cannot load the model as an LSTMModel: the LSTM layer 1 kernel has shape [6, 16], expected [6, 24]. Every LSTM layer must have the same number of units.',
    );
  });

  it('rejects a model without LSTM layers', async () => {
    const handler = await saveLayers('dense-only', [tfl.layers.dense({ units: 2, inputShape: [3] })]);

    expect((await loadError(handler)).message).toContain('expected LSTM layers followed by one Dense layer, got Dense.');
  });

  it('leaks no tensors when it rejects', async () => {
    const handler = await saveLayers('leak', [
      tfl.layers.lstm({ units: 4, inputShape: [5, 3], recurrentInitializer: 'zeros' }),
      tfl.layers.dense({ units: 2 }),
    ]);
    const before = tf.memory().numTensors;

    await loadError(handler);

    expect(tf.memory().numTensors).toBe(before);
  });
});
