import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseIdx } from '@lstm-mnist/data';
import { mnistDataPackageDir } from '@lstm-mnist/data/node';
import { LSTMModel, parseSafetensors } from '@lstm-mnist/model';
import { fileSystemSaveHandler } from '@lstm-mnist/model/node';

import { runCli, type CliRun } from './run-cli.js';

const FIXTURE_DIR = fileURLToPath(new URL('../../../packages/model/test/fixtures/torch-lstm-parity/', import.meta.url));
/** The class that the constant model below always predicts. */
const CONSTANT_CLASS = 3;

interface Report {
  images: number;
  correct: number;
  accuracy: number;
  perClass: { label: number; images: number; correct: number; accuracy: number | null }[];
  confusionMatrix: number[][];
  misclassified: { index: number; label: number; predicted: number }[];
}

let workDir: string;
let testLabels: Uint8Array;

async function cli(args: string[]): Promise<CliRun> {
  return runCli([...args, '--backend', 'wasm', '--data-dir', 'data'], { cwd: workDir });
}

/** Saves a small LSTM whose linear layer ignores its input: zero weights and a bias that only `label` has. */
async function saveConstantModel(dir: string, label: number, inputSize = 28): Promise<void> {
  const model = LSTMModel.create({ inputSize, hiddenSize: 4, numLayers: 1 }, { seed: 1 });
  const state = model.stateDict();
  tf.dispose([state.get('fc.weight') as tf.Tensor, state.get('fc.bias') as tf.Tensor]);
  state.set('fc.weight', tf.zeros([10, 4]));
  state.set('fc.bias', tf.tensor1d(Array.from({ length: 10 }, (_, index) => (index === label ? 1 : 0)), 'float32'));
  model.loadStateDict(state);
  tf.dispose([...state.values()]);
  await model.save(fileSystemSaveHandler(dir));
  model.dispose();
}

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
  workDir = await mkdtemp(join(tmpdir(), 'lstm-mnist-evaluate-'));
  await saveConstantModel(join(workDir, 'constant'), CONSTANT_CLASS);
  await copyFile(join(FIXTURE_DIR, 'model.safetensors'), join(workDir, 'torch.safetensors'));
  const packageDir = mnistDataPackageDir() as string;
  testLabels = parseIdx(new Uint8Array(await readFile(join(packageDir, 't10k-labels-idx1-ubyte')))).data as Uint8Array;
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('evaluate a model that always predicts 3', () => {
  let report: Report;
  let text: CliRun;

  beforeAll(async () => {
    const json = await cli(['evaluate', '--model', 'constant', '--json']);
    if (json.status !== 0) throw new Error(`evaluate --json exited with ${json.status}:\n${json.stderr}`);
    report = JSON.parse(json.stdout) as Report;
    text = await cli(['evaluate', '--model', 'constant']);
  }, 120_000);

  it('reports the share of 3s as the accuracy', () => {
    const threes = testLabels.filter((label) => label === CONSTANT_CLASS).length;

    expect(report.images).toBe(10_000);
    expect(report.correct).toBe(threes);
    expect(report.accuracy).toBe(threes / 10_000);
  });

  it('reports 100% for class 3 and 0% for the others', () => {
    expect(report.perClass.map((entry) => entry.accuracy)).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('puts every image in the column of class 3', () => {
    const counts = Array.from({ length: 10 }, (_, label) => testLabels.filter((value) => value === label).length);

    expect(report.confusionMatrix).toEqual(counts.map((count) => Array.from({ length: 10 }, (_, column) => (column === CONSTANT_CLASS ? count : 0))));
  });

  it('lists every image that is not a 3 as misclassified', () => {
    const expected = [...testLabels].flatMap((label, index) => (label === CONSTANT_CLASS ? [] : [index]));

    expect(report.misclassified.map((entry) => entry.index)).toEqual(expected);
    expect(report.misclassified.every((entry) => entry.predicted === CONSTANT_CLASS)).toBe(true);
  });

  it('prints the accuracy, tables and indices as text', () => {
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`Test accuracy: 10.10% (1010/10000 images)`);
    expect(text.stdout).toContain('  label  images  correct  accuracy\n      0     980        0     0.00%\n');
    expect(text.stdout).toContain('Confusion matrix (rows: true label, columns: predicted class):\n  label  0  1  2     3  4  5  6  7  8  9\n      0  0  0  0   980  0  0  0  0  0  0\n');
    const firstMisclassified = [...testLabels].flatMap((label, index) => (label === CONSTANT_CLASS ? [] : [index])).slice(0, 10);
    expect(text.stdout).toContain(`Misclassified images (8990, 0-based test-set indices):\n  ${firstMisclassified.join(', ')}, `);
  });

  it('keeps stdout pure JSON with --json', async () => {
    const run = await cli(['evaluate', '--model', 'constant', '--json', '--limit', '5']);

    expect(() => JSON.parse(run.stdout) as unknown).not.toThrow();
    expect(run.stderr).toMatch(/^Backend: wasm/);
  });
});

describe('evaluate the PyTorch fixture model', () => {
  it('finds the misclassifications that PyTorch logits give', async () => {
    const expected = parseSafetensors(new Uint8Array(await readFile(join(FIXTURE_DIR, 'expected.safetensors'))));
    const logits = tf.tensor((expected.get('logits') as { data: Float32Array }).data, [8, 10]);
    const torchPredictions = Array.from(await tf.argMax(logits, 1).data());
    logits.dispose();
    await runCli(['import-torch', 'torch.safetensors', '--out', 'torch', '--backend', 'cpu'], { cwd: workDir });

    const run = await cli(['evaluate', '--model', 'torch', '--limit', '8', '--json']);
    const report = JSON.parse(run.stdout) as Report;

    expect(report.misclassified).toEqual(
      torchPredictions.flatMap((predicted, index) => (predicted === testLabels[index] ? [] : [{ index, label: testLabels[index], predicted }])),
    );
  });
});

describe('evaluate rejects', () => {
  it('a model for another input size, in one line', async () => {
    await saveConstantModel(join(workDir, 'wide'), 0, 32);
    const run = await cli(['evaluate', '--model', 'wide']);

    expect(run.status).toBe(1);
    expect(run.stderr).toBe('error: wide contains a model that reads 32 values per step, expected 28 (one MNIST row). Pass a model trained on MNIST.\n');
  });

  it('a folder that is not a model, in one line', async () => {
    const run = await cli(['evaluate', '--model', 'data']);

    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: .*model\.json.*\n$/);
  });
});
