import '@tensorflow/tfjs-backend-cpu';

import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { IncompatibleModelError, LSTMModel } from '../src/index.js';
import { fileSystemLoadHandler, fileSystemSaveHandler, ModelFileError, writeFileAtomic } from '../src/node/index.js';

const TINY = { inputSize: 3, hiddenSize: 4, numLayers: 2, numClasses: 5 };
/** Bytes of the TINY model's float32 weights in the layers format: two LSTM layers, then the dense layer. */
const TINY_WEIGHT_BYTES = 4 * (3 * 16 + 4 * 16 + 16 + 4 * 16 + 4 * 16 + 16 + 4 * 5 + 5);

async function loadFailure(handler: tf.io.IOHandler): Promise<ModelFileError> {
  try {
    await handler.load?.();
  } catch (error) {
    if (error instanceof ModelFileError) {
      return error;
    }
    throw error;
  }
  throw new Error('the load handler accepted the files');
}

describe('fileSystemLoadHandler errors', () => {
  let root: string;
  let dir: string;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    root = await mkdtemp(join(tmpdir(), 'lstm-model-files-'));
  });

  beforeEach(async (context) => {
    dir = join(root, context.task.name.replace(/\W+/g, '-'));
    const model = LSTMModel.create(TINY, { seed: 1 });
    await model.save(fileSystemSaveHandler(dir));
    model.dispose();
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes weights of the expected size', async () => {
    expect((await readFile(join(dir, 'weights.bin'))).length).toBe(TINY_WEIGHT_BYTES);
  });

  it('names a missing model.json', async () => {
    const missing = join(root, 'no-such-folder');
    const error = await loadFailure(fileSystemLoadHandler(missing));

    expect(error.path).toBe(join(missing, 'model.json'));
    expect(error.message).toBe(
      `Cannot load model: ${join(missing, 'model.json')} (the model topology) not found. Pass the folder a model was saved to, or save one there first.`,
    );
  });

  it('names a missing weights file', async () => {
    await rm(join(dir, 'weights.bin'));
    const error = await loadFailure(fileSystemLoadHandler(dir));

    expect(error.path).toBe(join(dir, 'weights.bin'));
    expect(error.message).toContain(`${join(dir, 'weights.bin')} (weights listed in model.json) not found`);
  });

  it('rejects truncated weights', async () => {
    await truncate(join(dir, 'weights.bin'), 100);
    const error = await loadFailure(fileSystemLoadHandler(dir));

    expect(error.path).toBe(join(dir, 'weights.bin'));
    expect(error.message).toBe(
      `Cannot load model: weights.bin in ${dir} holds 100 bytes, but the weight shapes in model.json need ${TINY_WEIGHT_BYTES}. ` +
        'The weights are truncated or belong to another model, so save the model again.',
    );
  });

  it('rejects weights with extra bytes', async () => {
    const weights = await readFile(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'weights.bin'), Buffer.concat([weights, Buffer.alloc(8)]));

    expect((await loadFailure(fileSystemLoadHandler(dir))).message).toContain(
      `holds ${TINY_WEIGHT_BYTES + 8} bytes, more than the ${TINY_WEIGHT_BYTES} that the weight shapes in model.json need`,
    );
  });

  it('rejects a manifest shape that does not fit the weights', async () => {
    const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    modelJson.weightsManifest[0].weights[0].shape = [3, 32];
    await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));

    expect((await loadFailure(fileSystemLoadHandler(dir))).message).toContain(
      `weight shapes in model.json need ${TINY_WEIGHT_BYTES + 4 * 3 * 16}`,
    );
  });

  it('rejects a manifest shape that does not fit the layer', async () => {
    const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    modelJson.weightsManifest[0].weights[0].shape = [16, 3];
    await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));

    await expect(LSTMModel.load(fileSystemLoadHandler(dir))).rejects.toThrow(
      new IncompatibleModelError(
        `Cannot load the model from ${join(dir, 'model.json')} as a tfjs layers model: ` +
          "weight 'lstm_0/kernel' has shape [16, 3] in the weights manifest, but the topology needs [3, 16]. " +
          'The manifest and the topology come from different models, so save the model again.',
      ),
    );
  });

  it('names a weight the manifest lacks', async () => {
    const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    modelJson.weightsManifest[0].weights.pop();
    await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
    await truncate(join(dir, 'weights.bin'), TINY_WEIGHT_BYTES - 4 * TINY.numClasses);

    await expect(LSTMModel.load(fileSystemLoadHandler(dir))).rejects.toThrow(
      `${join(dir, 'model.json')} as a tfjs layers model: the weights manifest has no weight 'fc/bias', which the topology needs with shape [5].`,
    );
  });

  it('names model.json that is a folder', async () => {
    await rm(join(dir, 'model.json'));
    await mkdir(join(dir, 'model.json'));
    const error = await loadFailure(fileSystemLoadHandler(dir));

    expect(error.path).toBe(join(dir, 'model.json'));
    expect(error.message).toBe(
      `Cannot load model: ${join(dir, 'model.json')} (the model topology) is a folder, not a file. Save the model again.`,
    );
  });

  it('names weights.bin that is a folder', async () => {
    await rm(join(dir, 'weights.bin'));
    await mkdir(join(dir, 'weights.bin'));
    const error = await loadFailure(fileSystemLoadHandler(dir));

    expect(error.path).toBe(join(dir, 'weights.bin'));
    expect(error.message).toBe(
      `Cannot load model: ${join(dir, 'weights.bin')} (weights listed in model.json) is a folder, not a file. Save the model again.`,
    );
  });

  it('names a file passed as the model folder', async () => {
    const error = await loadFailure(fileSystemLoadHandler(join(dir, 'weights.bin')));

    expect(error.path).toBe(join(dir, 'weights.bin', 'model.json'));
    expect(error.message).toBe(
      `Cannot load model: ${join(dir, 'weights.bin', 'model.json')} (the model topology) cannot exist because a folder in its path is a file. ` +
        'Pass the folder that contains model.json, or the path of a .json file.',
    );
  });

  it('loads from the path of model.json itself', async () => {
    const loaded = await LSTMModel.load(fileSystemLoadHandler(join(dir, 'model.json')));

    expect(loaded.config).toEqual(TINY);
    loaded.dispose();
  });

  it('rejects a truncated model.json', async () => {
    const text = await readFile(join(dir, 'model.json'), 'utf8');
    await writeFile(join(dir, 'model.json'), text.slice(0, 50));
    const error = await loadFailure(fileSystemLoadHandler(dir));

    expect(error.path).toBe(join(dir, 'model.json'));
    expect(error.message).toMatch(/is not valid JSON \(.+\)\. The file may be truncated, so save the model again\.$/);
  });

  it('rejects a model.json without topology', async () => {
    await writeFile(join(dir, 'model.json'), JSON.stringify({ weightsManifest: [] }));

    expect((await loadFailure(fileSystemLoadHandler(dir))).message).toContain('has no modelTopology object');
  });

  it('rejects a model.json without weights manifest', async () => {
    const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    delete modelJson.weightsManifest;
    await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));

    expect((await loadFailure(fileSystemLoadHandler(dir))).message).toContain('has no valid weightsManifest');
  });

  it('rejects a weights path outside the folder', async () => {
    const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    modelJson.weightsManifest[0].paths = ['../other/weights.bin'];
    await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));

    expect((await loadFailure(fileSystemLoadHandler(dir))).message).toContain(
      "lists weights file '../other/weights.bin' outside its folder",
    );
  });

  it('rejects an unknown weight dtype', async () => {
    const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    modelJson.weightsManifest[0].weights[1].dtype = 'float64';
    await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));

    expect((await loadFailure(fileSystemLoadHandler(dir))).message).toContain("weight 'lstm_0/recurrent_kernel'");
  });

  it('loads weights split over several files', async () => {
    const modelJson = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    const weights = await readFile(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'shard1.bin'), weights.subarray(0, 40));
    await writeFile(join(dir, 'shard2.bin'), weights.subarray(40));
    modelJson.weightsManifest[0].paths = ['shard1.bin', 'shard2.bin'];
    await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
    await rm(join(dir, 'weights.bin'));

    const loaded = await LSTMModel.load(fileSystemLoadHandler(dir));

    expect(loaded.config).toEqual(TINY);
    loaded.dispose();
  });
});

describe('fileSystemSaveHandler', () => {
  let root: string;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    root = await mkdtemp(join(tmpdir(), 'lstm-model-save-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('rejects a binary topology', async () => {
    const handler = fileSystemSaveHandler(join(root, 'binary'));

    await expect(handler.save?.({ modelTopology: new ArrayBuffer(4) })).rejects.toThrow(
      'fileSystemSaveHandler writes JSON topologies (tfjs layers models), got a binary topology.',
    );
  });

  it('saves any tfjs layers model', async () => {
    const layersModel = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
    const result = await layersModel.save(fileSystemSaveHandler(join(root, 'dense')));
    layersModel.dispose();

    expect(result.modelArtifactsInfo.weightDataBytes).toBe(4 * (3 * 2 + 2));
    expect(await readdir(join(root, 'dense'))).toEqual(expect.arrayContaining(['model.json', 'weights.bin']));
  });
});

describe('writeFileAtomic', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'lstm-model-atomic-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('replaces an existing file and leaves no temporary file', async () => {
    const dir = join(root, 'replace');
    await mkdir(dir);
    await writeFile(join(dir, 'out.bin'), 'old');

    await writeFileAtomic(join(dir, 'out.bin'), new Uint8Array([1, 2, 3]));

    expect(Array.from(await readFile(join(dir, 'out.bin')))).toEqual([1, 2, 3]);
    expect(await readdir(dir)).toEqual(['out.bin']);
  });

  it('removes its temporary file when the rename fails', async () => {
    const dir = join(root, 'rename-fails');
    await mkdir(join(dir, 'target'), { recursive: true });
    await writeFile(join(dir, 'target', 'keep.txt'), 'kept');

    await expect(writeFileAtomic(join(dir, 'target'), 'data')).rejects.toThrow();

    expect(await readdir(dir)).toEqual(['target']);
    expect(await readFile(join(dir, 'target', 'keep.txt'), 'utf8')).toBe('kept');
  });

  it('fails in a missing folder', async () => {
    await expect(writeFileAtomic(join(root, 'missing', 'out.bin'), 'data')).rejects.toThrow(/ENOENT/);
  });
});
