import { copyFile, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeSafetensors, LSTMModel, parseSafetensors, type SafetensorsTensor } from '@lstm-mnist/model';
import { fileSystemLoadHandler } from '@lstm-mnist/model/node';

import { runCli, type CliRun } from './run-cli.js';

const FIXTURE_DIR = fileURLToPath(new URL('../../../packages/model/test/fixtures/torch-lstm-parity/', import.meta.url));
/** The fixture's README: float32 logits from another summation order agree to about 1e-5. */
const LOGIT_TOLERANCE = 1e-5;

let workDir: string;
let torchState: Map<string, SafetensorsTensor>;

async function readTensors(path: string): Promise<Map<string, SafetensorsTensor>> {
  return parseSafetensors(new Uint8Array(await readFile(path)));
}

async function cli(args: string[]): Promise<CliRun> {
  return runCli([...args, '--backend', 'cpu'], { cwd: workDir });
}

/** Writes the fixture's state dict with `change` applied, for the rejection tests. */
async function writeChangedState(name: string, change: (tensors: Map<string, SafetensorsTensor>) => void): Promise<string> {
  const tensors = new Map(torchState);
  change(tensors);
  const path = join(workDir, name);
  await writeFile(path, encodeSafetensors(tensors));
  return path;
}

beforeAll(async () => {
  // Production mode silences tfjs's banner that recommends tfjs-node.
  tf.enableProdMode();
  await tf.setBackend('cpu');
  workDir = await mkdtemp(join(tmpdir(), 'lstm-mnist-import-'));
  await copyFile(join(FIXTURE_DIR, 'model.safetensors'), join(workDir, 'torch.safetensors'));
  torchState = await readTensors(join(workDir, 'torch.safetensors'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('import-torch on the PyTorch parity fixture', () => {
  let run: CliRun;

  beforeAll(async () => {
    run = await cli(['import-torch', 'torch.safetensors', '--out', 'imported']);
  });

  it('infers the sizes from the tensor shapes', () => {
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Imported torch.safetensors: 2 LSTM layers of 128 units, 10 classes, 28 inputs per step');
  });

  it('gives the logits PyTorch computed, logit by logit', async () => {
    const batch = await readTensors(join(FIXTURE_DIR, 'batch.safetensors'));
    const expected = (await readTensors(join(FIXTURE_DIR, 'expected.safetensors'))).get('logits') as SafetensorsTensor;
    const images = batch.get('images') as SafetensorsTensor;
    // Plain tfjs-layers, without this project's code, reads the folder as a standard layers model.
    const layersModel = await tfl.loadLayersModel(fileSystemLoadHandler(join(workDir, 'imported')));
    const logits = tf.tidy(() => layersModel.predict(tf.tensor(images.data as Float32Array, images.shape)) as tf.Tensor);
    const actual = await logits.data();
    tf.dispose(logits);
    layersModel.dispose();

    expect(actual).toHaveLength(expected.data.length);
    const mismatches = Array.from(actual).flatMap((value, i) => {
      const want = expected.data[i] as number;
      return Math.abs(value - want) <= LOGIT_TOLERANCE * Math.max(1, Math.abs(want)) ? [] : [`logit ${i}: ${value} vs ${want}`];
    });
    expect(mismatches).toEqual([]);
  });
});

describe('export-torch', () => {
  let exported: Map<string, SafetensorsTensor>;

  beforeAll(async () => {
    const imported = await cli(['import-torch', 'torch.safetensors', '--out', 'model']);
    const run = await cli(['export-torch', '--model', 'model', '--out', 'out/exported.safetensors']);
    if (imported.status !== 0 || run.status !== 0) throw new Error(`import or export failed:\n${imported.stderr}\n${run.stderr}`);
    exported = await readTensors(join(workDir, 'out', 'exported.safetensors'));
  });

  it('writes every PyTorch tensor with its name, shape and dtype', () => {
    const describe = (tensors: Map<string, SafetensorsTensor>) => [...tensors].map(([name, t]) => `${name} ${t.dtype} [${t.shape.join(', ')}]`).sort();

    expect(describe(exported)).toEqual(describe(torchState));
  });

  it('keeps the weights bit for bit', () => {
    for (const name of ['lstm.weight_ih_l0', 'lstm.weight_hh_l0', 'lstm.weight_ih_l1', 'lstm.weight_hh_l1', 'fc.weight', 'fc.bias']) {
      expect(exported.get(name)?.data, name).toEqual(torchState.get(name)?.data);
    }
  });

  it('writes the summed bias as bias_ih and zeros as bias_hh', () => {
    for (const layer of [0, 1]) {
      const biasIh = torchState.get(`lstm.bias_ih_l${layer}`)?.data as Float32Array;
      const biasHh = torchState.get(`lstm.bias_hh_l${layer}`)?.data as Float32Array;
      const sum = biasIh.map((value, i) => Math.fround(value + (biasHh[i] as number)));

      expect(exported.get(`lstm.bias_ih_l${layer}`)?.data).toEqual(sum);
      expect(exported.get(`lstm.bias_hh_l${layer}`)?.data).toEqual(new Float32Array(sum.length));
    }
  });

  it('marks the file as PyTorch safetensors', async () => {
    const bytes = await readFile(join(workDir, 'out', 'exported.safetensors'));

    expect(bytes.toString('utf8', 8, 40)).toContain('"__metadata__":{"format":"pt"}');
  });

  it('round-trips an exported file bit for bit', async () => {
    const reimported = await cli(['import-torch', 'out/exported.safetensors', '--out', 'model2']);
    const reexported = await cli(['export-torch', '--model', 'model2', '--out', 'again.safetensors']);

    expect(reimported.status).toBe(0);
    expect(reexported.status).toBe(0);
    expect(await readFile(join(workDir, 'again.safetensors'))).toEqual(await readFile(join(workDir, 'out', 'exported.safetensors')));
  });

  it('round-trips a model folder without changing its logits', async () => {
    const original = await LSTMModel.load(fileSystemLoadHandler(join(workDir, 'model')));
    const roundTripped = await LSTMModel.load(fileSystemLoadHandler(join(workDir, 'model2')));
    const input = tf.randomNormal([2, 28, 28], 0, 1, 'float32', 5) as tf.Tensor3D;
    const [a, b] = [original.forward(input), roundTripped.forward(input)];

    expect(await b.data()).toEqual(await a.data());
    tf.dispose([input, a, b]);
    original.dispose();
    roundTripped.dispose();
  });
});

describe('import-torch rejects files that are not this model', () => {
  it('names a missing tensor', async () => {
    const path = await writeChangedState('missing.safetensors', (tensors) => tensors.delete('lstm.bias_hh_l1'));
    const run = await cli(['import-torch', path, '--out', 'rejected']);

    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`error: ${path} is not a state_dict of the sequential-MNIST LSTM (lstm = nn.LSTM, fc = nn.Linear): it has no tensor lstm.bias_hh_l1.\n`);
  });

  it('names a tensor of the wrong shape', async () => {
    const path = await writeChangedState('shape.safetensors', (tensors) =>
      tensors.set('fc.weight', { dtype: 'F32', shape: [10, 64], data: new Float32Array(640) }),
    );
    const run = await cli(['import-torch', path, '--out', 'rejected']);

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('fc.weight has shape [10, 64], expected [10, 128]');
  });

  it('names an input size other than 28', async () => {
    const path = await writeChangedState('input.safetensors', (tensors) =>
      tensors.set('lstm.weight_ih_l0', { dtype: 'F32', shape: [512, 32], data: new Float32Array(512 * 32) }),
    );
    const run = await cli(['import-torch', path, '--out', 'rejected']);

    expect(run.stderr).toContain('lstm.weight_ih_l0 has shape [512, 32], expected [512, 28]');
  });

  it('names an unexpected tensor', async () => {
    const path = await writeChangedState('bidirectional.safetensors', (tensors) =>
      tensors.set('lstm.weight_ih_l0_reverse', { dtype: 'F32', shape: [512, 28], data: new Float32Array(512 * 28) }),
    );
    const run = await cli(['import-torch', path, '--out', 'rejected']);

    expect(run.stderr).toContain('unexpected tensor lstm.weight_ih_l0_reverse');
  });

  it('names a tensor that is not F32', async () => {
    const path = await writeChangedState('double.safetensors', (tensors) =>
      tensors.set('fc.bias', { dtype: 'F64', shape: [10], data: new Float64Array(10) }),
    );
    const run = await cli(['import-torch', path, '--out', 'rejected']);

    expect(run.stderr).toContain('fc.bias has dtype F64, expected F32');
  });

  it('names a file that is not safetensors', async () => {
    await writeFile(join(workDir, 'notes.safetensors'), 'not a tensor file');
    const run = await cli(['import-torch', 'notes.safetensors', '--out', 'rejected']);

    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: notes\.safetensors: .+\n$/);
  });
});

describe('export-torch rejects broken model folders', () => {
  it('names a missing folder', async () => {
    const run = await cli(['export-torch', '--model', 'nowhere', '--out', 'x.safetensors']);

    expect(run.status).toBe(1);
    expect(run.stderr).toBe('error: --model nowhere does not exist. Pass the folder that train --out or import-torch --out wrote.\n');
  });

  it('names a truncated weights file in one line', async () => {
    await cli(['import-torch', 'torch.safetensors', '--out', 'truncated']);
    await truncate(join(workDir, 'truncated', 'weights.bin'), 1000);
    const run = await cli(['export-torch', '--model', 'truncated', '--out', 'x.safetensors']);

    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: .*weights\.bin.*\n$/);
  });

  it('names a folder without model.json in one line', async () => {
    await mkdir(join(workDir, 'empty'), { recursive: true });
    const run = await cli(['export-torch', '--model', 'empty', '--out', 'x.safetensors']);

    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: .*model\.json.*\n$/);
  });
});
